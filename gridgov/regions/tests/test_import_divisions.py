from __future__ import annotations

import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core.errors import ValidationFailed
from gridgov.regions.divisions import ImportRejected, extract_city_files, read_city_divisions
from gridgov.regions.models import Region
from gridgov.regions.services import import_divisions
from gridgov.regions.tests.helpers import GOOD_FILES, write_divisions

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "divisions" / "3715"


def level_counts() -> dict[int, int]:
    return {level: Region.objects.filter(level=level).count() for level in Region.Level.values}


def rejected(directory) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        import_divisions(directory, "3715")
    assert Region.objects.count() == 0, "a rejected import must write nothing"
    return info.value


def test_it_loads_one_city_with_levels_and_parents_set_by_prefix(db, tmp_path):
    counts = import_divisions(write_divisions(tmp_path), "3715")

    assert level_counts() == {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
    assert [counts.get(level, "created") for level in range(1, 6)] == [1, 1, 2, 3, 4]
    village = Region.objects.select_related("parent__parent__parent__parent").get(code="371502001002")
    assert village.name == "湖南社区居委会"
    assert village.level == Region.Level.COMMUNITY
    chain = [village.parent, village.parent.parent, village.parent.parent.parent, village.parent.parent.parent.parent]
    assert [r.code for r in chain] == ["371502001", "371502", "3715", "37"]
    assert Region.objects.get(code="37").parent is None


def test_it_skips_the_rows_of_other_cities_and_provinces(db, tmp_path):
    import_divisions(write_divisions(tmp_path), "3715")

    assert not Region.objects.filter(code__startswith="3716").exists()
    assert not Region.objects.filter(code="36").exists()


def test_a_second_run_creates_nothing_and_reports_everything_unchanged(db, tmp_path):
    directory = write_divisions(tmp_path)
    import_divisions(directory, "3715")
    ids = dict(Region.objects.values_list("code", "id"))

    counts = import_divisions(directory, "3715")

    assert counts.total("created") == 0
    assert counts.total("updated") == 0
    assert [counts.get(level, "unchanged") for level in range(1, 6)] == [1, 1, 2, 3, 4]
    assert dict(Region.objects.values_list("code", "id")) == ids


def test_a_rerun_updates_the_names_that_changed(db, tmp_path):
    import_divisions(write_divisions(tmp_path / "v1"), "3715")
    renamed = [row.replace("湖南社区居委会", "湖南路社区居委会") for row in GOOD_FILES["villages.csv"]]

    counts = import_divisions(write_divisions(tmp_path / "v2", villages=renamed), "3715")

    assert Region.objects.get(code="371502001002").name == "湖南路社区居委会"
    assert counts.get(5, "updated") == 1
    assert counts.get(5, "unchanged") == 3
    assert counts.total("created") == 0


def test_a_bad_code_is_reported_with_file_line_and_reason(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '37150200100X,"坏社区",371502001,37,3715,371502']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert [(e.filename, e.line) for e in error.errors] == [("villages.csv", 7)]
    assert "12 位数字" in error.errors[0].reason
    assert "villages.csv 第 7 行" in str(error)


def test_a_code_of_the_wrong_length_for_its_level_is_rejected(db, tmp_path):
    areas = [*GOOD_FILES["areas.csv"], '3715021,"多一位区",3715,37']

    error = rejected(write_divisions(tmp_path, areas=areas))

    assert [(e.filename, e.line) for e in error.errors] == [("areas.csv", 5)]
    assert "6 位数字" in error.errors[0].reason


def test_a_parent_column_that_contradicts_the_code_prefix_is_rejected(db, tmp_path):
    streets = [*GOOD_FILES["streets.csv"], '371502003,"新区街道",371503,37,3715']

    error = rejected(write_divisions(tmp_path, streets=streets))

    assert [(e.filename, e.line) for e in error.errors] == [("streets.csv", 6)]
    assert "areaCode" in error.errors[0].reason and "371502" in error.errors[0].reason


def test_a_row_filed_under_the_city_with_a_foreign_code_is_reported_not_skipped(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '371602001002,"错城社区居委会",371602001,37,3715,371602']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert [(e.filename, e.line) for e in error.errors] == [("villages.csv", 7)]
    assert "cityCode" in error.errors[0].reason


def test_a_parent_missing_from_files_and_database_is_rejected(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '371502009001,"孤儿社区居委会",371502009,37,3715,371502']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert [(e.filename, e.line) for e in error.errors] == [("villages.csv", 7)]
    assert "371502009" in error.errors[0].reason and "不存在" in error.errors[0].reason


def test_a_parent_already_in_the_database_is_enough(db, tmp_path):
    import_divisions(write_divisions(tmp_path / "full"), "3715")
    only_villages = write_divisions(
        tmp_path / "partial",
        provinces=[],
        cities=[],
        areas=[],
        streets=[],
        villages=[*GOOD_FILES["villages.csv"], '371502002002,"新社区居委会",371502002,37,3715,371502'],
    )

    counts = import_divisions(only_villages, "3715")

    assert counts.get(5, "created") == 1
    assert Region.objects.get(code="371502002002").parent.code == "371502002"


def test_a_missing_header_column_is_rejected(db, tmp_path):
    error = rejected(
        write_divisions(
            tmp_path,
            streets_header="code,name,areaCode,provinceCode",
            streets=[row.rsplit(",", 1)[0] for row in GOOD_FILES["streets.csv"]],
        )
    )

    assert [(e.filename, e.line) for e in error.errors][0] == ("streets.csv", 1)
    assert "cityCode" in error.errors[0].reason


def test_a_row_with_a_missing_field_is_rejected(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '371502001003,"缺列社区居委会",371502001,37,3715']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert [(e.filename, e.line) for e in error.errors] == [("villages.csv", 7)]
    assert "应有 6 列" in error.errors[0].reason


def test_a_duplicate_code_is_rejected_naming_the_first_line(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '371502001001,"重复社区居委会",371502001,37,3715,371502']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert [(e.filename, e.line) for e in error.errors] == [("villages.csv", 7)]
    assert "重复" in error.errors[0].reason and "第 2 行" in error.errors[0].reason


def test_an_empty_name_is_rejected(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '371502001003,"  ",371502001,37,3715,371502']

    error = rejected(write_divisions(tmp_path, villages=villages))

    assert "名称为空" in error.errors[0].reason


def test_a_missing_file_is_rejected(db, tmp_path):
    error = rejected(write_divisions(tmp_path, villages=None))

    assert error.errors[0].filename == "villages.csv"
    assert "文件不存在" in str(error)


def test_a_city_found_nowhere_is_rejected(db, tmp_path):
    with pytest.raises(ImportRejected) as info:
        import_divisions(write_divisions(tmp_path), "3799")
    assert "未找到城市 3799" in str(info.value)


def test_every_error_of_every_file_is_listed_and_a_late_error_keeps_earlier_files_out(db, tmp_path):
    directory = write_divisions(
        tmp_path,
        areas=[*GOOD_FILES["areas.csv"], '37150X,"坏区",3715,37'],
        villages=[*GOOD_FILES["villages.csv"], '371502001001,"重复社区居委会",371502001,37,3715,371502'],
    )

    error = rejected(directory)

    assert {(e.filename, e.line) for e in error.errors} == {("areas.csv", 5), ("villages.csv", 7)}


def test_a_bad_city_code_argument_is_refused(db, tmp_path):
    with pytest.raises(ValidationFailed):
        import_divisions(write_divisions(tmp_path), "37")


def test_the_villages_file_is_streamed_not_loaded(db, tmp_path):
    """100k rows of other cities (≈6 MB) must not be held in memory: only 3715's rows are kept."""
    directory = tmp_path / "big"
    write_divisions(directory)
    with (directory / "villages.csv").open("a", encoding="utf-8") as fh:
        for i in range(100_000):
            fh.write(f'4101{i:08d},"他市第{i}村委会",4101{i:05d},41,4101,4101{i:02d}\n')
    assert (directory / "villages.csv").stat().st_size > 5_000_000

    tracemalloc.start()
    try:
        data = read_city_divisions(directory, "3715")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert not data.errors
    assert len(data.rows[5]) == 4
    assert peak < 1_000_000


def test_the_command_prints_counts_per_level(db, tmp_path):
    out = StringIO()
    call_command("import_divisions", write_divisions(tmp_path), "--city", "3715", stdout=out)

    text = out.getvalue()
    assert "村(社区)：新建 4，更新 0，未变 0" in text
    assert "完成：新建 11" in text


def test_the_command_turns_rejections_into_a_readable_error(db, tmp_path):
    villages = [*GOOD_FILES["villages.csv"], '37150200100X,"坏社区",371502001,37,3715,371502']
    with pytest.raises(CommandError, match="villages.csv 第 7 行"):
        call_command("import_divisions", write_divisions(tmp_path, villages=villages), "--city", "3715")


def test_the_demo_extract_holds_1_city_8_counties_136_townships_2408_communities(db):
    counts = import_divisions(DEMO_DIR, "3715")

    assert level_counts() == {1: 1, 2: 1, 3: 8, 4: 136, 5: 2408}
    assert counts.total("created") == 2554
    assert Region.objects.get(code="3715").name == "聊城市"
    assert Region.objects.filter(code__startswith="3715", parent__isnull=True).count() == 0
    assert import_divisions(DEMO_DIR, "3715").total("created") == 0


def test_extract_copies_the_city_lines_verbatim(tmp_path):
    source = write_divisions(tmp_path / "national")

    counts = extract_city_files(source, tmp_path / "extract", "3715")

    assert counts == {"provinces.csv": 1, "cities.csv": 1, "areas.csv": 2, "streets.csv": 3, "villages.csv": 4}
    villages = (tmp_path / "extract" / "villages.csv").read_text(encoding="utf-8").splitlines()
    assert villages[0] == "code,name,streetCode,provinceCode,cityCode,areaCode"
    assert villages[1:] == [row for row in GOOD_FILES["villages.csv"] if row.startswith("3715")]


def test_a_rerun_repairs_a_parent_link_that_drifted(db, tmp_path):
    directory = write_divisions(tmp_path)
    import_divisions(directory, "3715")
    Region.objects.filter(code="371502001001").update(parent=Region.objects.get(code="371502002"))

    counts = import_divisions(directory, "3715")

    assert Region.objects.get(code="371502001001").parent.code == "371502001"
    assert counts.get(5, "updated") == 1


def test_regions_outside_the_files_are_left_alone(db, tmp_path):
    import_divisions(write_divisions(tmp_path / "v1"), "3715")
    fewer = [row for row in GOOD_FILES["villages.csv"] if not row.startswith("371503001001")]

    import_divisions(write_divisions(tmp_path / "v2", villages=fewer), "3715")

    assert Region.objects.filter(code="371503001001").exists()
