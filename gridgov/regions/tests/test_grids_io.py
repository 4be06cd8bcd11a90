from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.regions.divisions import ImportRejected
from gridgov.regions.models import Grid
from gridgov.regions.services import export_grids, import_grids
from gridgov.testing import square

COMMUNITY_A = "371502001001"
COMMUNITY_B = "371502002001"

# coordinates chosen to catch any rounding: long decimals, integers, negative zero-free values
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[116.2, 36.5], [116.21, 36.5], [116.21, 36.51], [116.2, 36.51], [116.2, 36.5]],
        [
            [116.2031415926535, 36.503],
            [116.2031415926535, 36.507],
            [116.207, 36.507],
            [116.207, 36.503],
            [116.2031415926535, 36.503],
        ],
    ],
}
MULTI = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[116, 36], [116.001, 36], [116.001, 36.001], [116, 36.001], [116, 36]]],
        [[[116.123456789012345, 36.1], [116.13, 36.1], [116.13, 36.11], [116.123456789012345, 36.1]]],
    ],
}


def feature(code: str, geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": f"网格{code[-3:]}", **props}, "geometry": geometry}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False)


def rejected(text) -> ImportRejected:
    before = sorted(Grid.objects.values_list("code", "name", "updated_at"))
    with pytest.raises(ImportRejected) as info:
        import_grids(text)
    assert sorted(Grid.objects.values_list("code", "name", "updated_at")) == before, "nothing may be written"
    return info.value


def test_import_creates_grids_linked_to_their_community(city):
    counts = import_grids(
        collection(
            feature(f"{COMMUNITY_A}005", WITH_HOLE, kind="综合网格", households=420),
            feature(f"{COMMUNITY_B}009", MULTI, kind="专属网格", dedicated_type="学校"),
        )
    )

    assert (counts.total("created"), counts.total("updated"), counts.total("unchanged")) == (2, 0, 0)
    hole = Grid.objects.get(code=f"{COMMUNITY_A}005")
    assert hole.community == city.community_a
    assert (hole.kind, hole.households, hole.active) == (Grid.Kind.GENERAL, 420, True)
    assert hole.boundary == WITH_HOLE
    school = Grid.objects.get(code=f"{COMMUNITY_B}009")
    assert (school.kind, school.dedicated_type, school.community) == (Grid.Kind.DEDICATED, "学校", city.community_b)


def test_a_second_identical_import_changes_nothing(city):
    text = collection(feature(f"{COMMUNITY_A}005", WITH_HOLE), feature(f"{COMMUNITY_A}006", MULTI))
    import_grids(text)
    stamps = dict(Grid.objects.values_list("code", "updated_at"))

    counts = import_grids(text)

    assert (counts.total("created"), counts.total("updated"), counts.total("unchanged")) == (0, 0, 2)
    assert dict(Grid.objects.values_list("code", "updated_at")) == stamps


def test_import_updates_an_existing_grid_by_code(city):
    moved = square(116.5, 36.5)

    counts = import_grids(collection(feature(city.grid_a1.code, moved, name="古城社区一号网格", active=False)))

    assert counts.total("updated") == 1
    city.grid_a1.refresh_from_db()
    assert (city.grid_a1.name, city.grid_a1.boundary, city.grid_a1.active) == ("古城社区一号网格", moved, False)


def test_an_absent_optional_property_keeps_the_stored_value(city):
    Grid.objects.filter(pk=city.grid_a1.pk).update(
        households=321, dedicated_type="园区", kind="dedicated", active=False
    )

    import_grids(collection(feature(city.grid_a1.code, city.grid_a1.boundary)))

    city.grid_a1.refresh_from_db()
    assert (city.grid_a1.households, city.grid_a1.dedicated_type, city.grid_a1.kind, city.grid_a1.active) == (
        321,
        "园区",
        "dedicated",
        False,
    )


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (feature("37150200100", square(116, 36)), "15 位数字"),
        (feature("371502009009001", square(116, 36)), "371502009009 不存在"),
        (feature(f"{COMMUNITY_A}007", square(116, 36), kind="网格"), "类型应为"),
        (feature(f"{COMMUNITY_A}007", square(116, 36), name=" "), "name 为空"),
        (feature(f"{COMMUNITY_A}007", square(116, 36), households=-1), "户数"),
        (feature(f"{COMMUNITY_A}007", {"type": "Point", "coordinates": [116, 36]}), "Polygon 或 MultiPolygon"),
        (feature(f"{COMMUNITY_A}007", square(180, 36)), "超出 [-180, 180]"),
        (feature(f"{COMMUNITY_A}007", square(116, 89.995)), "超出 [-90, 90]"),
        (
            feature(
                f"{COMMUNITY_A}007", {"type": "Polygon", "coordinates": [[[116, 36], [117, 36], [117, 37], [116, 37]]]}
            ),
            "未闭合",
        ),
        (
            feature(
                f"{COMMUNITY_A}007",
                {"type": "Polygon", "coordinates": [[[116, 36], [117, 37], [117, 36], [116, 37], [116, 36]]]},
            ),
            "边界自相交",
        ),
        (
            feature(f"{COMMUNITY_A}007", square(116, 36, holes=[[[117, 37], [117, 37.1], [117.1, 37.1], [117, 37]]])),
            "无效",
        ),
        (
            feature(
                f"{COMMUNITY_A}007",
                {"type": "Polygon", "coordinates": [[[116, 36], [117, "36"], [117, 37], [116, 36]]]},
            ),
            "不是 [经度, 纬度] 数字",
        ),
        ({"type": "Feature", "geometry": square(116, 36)}, "缺少 properties"),
    ],
)
def test_a_bad_feature_is_reported_with_its_index_and_nothing_is_written(city, bad, reason):
    good = feature(f"{COMMUNITY_A}005", WITH_HOLE)

    error = rejected(collection(good, bad))

    assert [e.index for e in error.errors] == [2] * len(error.errors)
    assert any(reason in e.reason for e in error.errors), [e.reason for e in error.errors]
    assert "第 2 个要素" in str(error)


def test_a_duplicate_code_in_one_file_is_rejected(city):
    error = rejected(collection(feature(f"{COMMUNITY_A}005", WITH_HOLE), feature(f"{COMMUNITY_A}005", MULTI)))

    assert [(e.index, e.code) for e in error.errors] == [(2, f"{COMMUNITY_A}005")]
    assert "第 1 个要素" in error.errors[0].reason


def test_a_file_that_is_not_a_feature_collection_is_rejected(city):
    assert "FeatureCollection" in str(rejected('{"type": "Feature"}'))
    assert "JSON" in str(rejected("{not json"))
    assert "NaN" in str(rejected('{"type": "FeatureCollection", "features": [], "x": NaN}'))


def test_export_is_sorted_by_code_with_a_stable_key_order(city):
    text = export_grids()

    data = json.loads(text)
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == sorted(codes) == [city.grid_a1.code, city.grid_a2.code, city.grid_b1.code]
    assert list(data["features"][0]) == ["type", "properties", "geometry"]
    assert list(data["features"][0]["properties"]) == ["code", "name", "kind", "dedicated_type", "households", "active"]
    assert text.endswith("]}\n")


def test_export_limits_to_a_region_prefix(city):
    data = json.loads(export_grids("371502001"))

    assert [f["properties"]["code"] for f in data["features"]] == [city.grid_a1.code, city.grid_a2.code]
    assert json.loads(export_grids("4101")) == {"type": "FeatureCollection", "features": []}


def test_round_trip_is_lossless_and_byte_identical(city):
    """import → export → wipe → import → export gives the same bytes and the exact input coordinates."""
    null_geometry = feature(f"{COMMUNITY_B}003", None)
    import_grids(
        collection(
            feature(f"{COMMUNITY_B}002", MULTI, kind="dedicated", dedicated_type="医院", households=0),
            feature(f"{COMMUNITY_A}005", WITH_HOLE, households=480, active=False),
            null_geometry,
        )
    )
    first = export_grids()

    Grid.objects.all().delete()
    counts = import_grids(first)
    second = export_grids()

    assert counts.total("created") == 6
    assert second == first
    exported = {f["properties"]["code"]: f for f in json.loads(first)["features"]}
    assert exported[f"{COMMUNITY_A}005"]["geometry"] == WITH_HOLE
    assert exported[f"{COMMUNITY_B}002"]["geometry"] == MULTI
    assert exported[f"{COMMUNITY_B}003"]["geometry"] is None
    assert exported[f"{COMMUNITY_A}005"]["properties"]["active"] is False
    # and importing an export over the same data is a no-op
    assert import_grids(second).total("unchanged") == 6


def test_the_commands_import_a_file_and_export_to_a_file(city, tmp_path):
    source = tmp_path / "in.geojson"
    source.write_text(collection(feature(f"{COMMUNITY_A}005", WITH_HOLE)), encoding="utf-8")
    out = StringIO()

    call_command("import_grids", str(source), stdout=out)
    call_command("export_grids", "--out", str(tmp_path / "out.geojson"), "--region", COMMUNITY_A)

    assert "新建 1" in out.getvalue()
    data = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in data["features"]] == [
        city.grid_a1.code,
        city.grid_a2.code,
        f"{COMMUNITY_A}005",
    ]
    stdout = StringIO()
    call_command("export_grids", "--region", COMMUNITY_A, stdout=stdout)
    assert stdout.getvalue() == (tmp_path / "out.geojson").read_text(encoding="utf-8")


def test_the_import_command_reports_errors_readably(city, tmp_path):
    source = tmp_path / "bad.geojson"
    source.write_text(collection(feature("123", square(116, 36))), encoding="utf-8")

    with pytest.raises(CommandError, match="第 1 个要素"):
        call_command("import_grids", str(source))
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_grids", str(tmp_path / "missing.geojson"))
