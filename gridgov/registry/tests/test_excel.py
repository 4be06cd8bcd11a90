"""Excel import/export of the registry: per-row rejection with nothing partial, idempotent re-import,
whole-file rejection, masking, permissioned and logged full export, templates, commands."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from itertools import count

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric, uscc

from gridgov.core import crypto
from gridgov.core.errors import Forbidden, ValidationFailed
from gridgov.registry.excel.cells import CellError, as_date
from gridgov.registry.excel.columns import FileRejected
from gridgov.registry.excel.export import export_workbook
from gridgov.registry.excel.importer import import_rows
from gridgov.registry.excel.report import report_workbook
from gridgov.registry.excel.template import template_workbook
from gridgov.registry.identity import org_code_check_digit
from gridgov.registry.models import AccessLog, Address, Change, House, KeyPerson, Residence, Resident, Unit
from gridgov.registry.services.key_people import install_default_key_categories

GRID_A1 = "371502001001001"
GRID_A2 = "371502001001002"
COMMUNITY_A = "371502001001"
COMMUNITY_B = "371502002001"

_seq = count(100)


def make_id(birth: str = "19800101", region: str = "371502", check: str | None = None) -> str:
    """A valid 18-digit ID number (check digit computed with stdnum); ``check`` forces an X or digit one."""
    while True:
        body = f"{region}{birth}{next(_seq) % 1000:03d}"
        digit = ric.calc_check_digit(body + "?")  # stdnum wants the check position present
        if check is None or digit == check:
            return body + digit


def bad_checksum(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def make_uscc(body: str = "91371502MA3C0000") -> str:
    """A valid credit code from its first 16 characters (both check characters computed)."""
    body17 = body[:16] + org_code_check_digit(body[8:16])
    return body17 + uscc.calc_check_digit(body17)


class ExactInt(int):
    """An integer cell written digit for digit (openpyxl itself writes big ints as floats, like Excel)."""


def xlsx(tmp_path, headers: list, rows: list[list], name: str = "in.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    exact = {}
    for row in rows:
        ws.append([int(v) if isinstance(v, ExactInt) else v for v in row])
        exact.update({f"{int(v):.16g}": str(int(v)) for v in row if isinstance(v, ExactInt)})
    path = tmp_path / name
    wb.save(path)
    if exact:  # what another producer (or a hand-edited file) may hold: <v>371502199006151418</v>
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        for written, digits in exact.items():
            xml = xml.replace(f"<v>{written}</v>", f"<v>{digits}</v>")
        parts["xl/worksheets/sheet1.xml"] = xml.encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for n, b in parts.items():
                z.writestr(n, b)
    return path


def cells(data) -> list:
    """Every non-empty cell value of every sheet of an .xlsx (bytes or path)."""
    wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    out = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    wb.close()
    return out


def sheet_rows(data) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    rows = [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return rows


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in (Address, House, Resident, Residence, Unit, KeyPerson, Change)}


RESIDENT_HEADERS = ["姓名", "证件类型", "证件号码", "联系电话", "人口类型", "户籍地", "与户主关系", "迁入日期",
                    "社区代码(12位)", "街路巷/小区", "楼栋", "单元", "楼层", "室", "网格编码"]


def resident_row(name, number, *, phone="", household="户籍人口", moved_in="", region=COMMUNITY_A, road="东关街",
                 building="1", unit="1", floor="1", room="101", grid=GRID_A1, id_type="居民身份证"):
    return [name, id_type, number, phone, household, "山东省聊城市", "户主", moved_in, region, road, building, unit,
            floor, room, grid]


@pytest.fixture
def ids():
    return {
        "a": make_id("19800101"),
        "x": make_id("19751231", check="X"),
        "c": make_id("19900615"),
        "d": make_id("20010203"),
        "future": make_id("19850505"),
        "nogrid": make_id("19860606"),
        "noname": make_id("19870707"),
        "outside": make_id("19880808"),
        "float": make_id("19491001", region="110105"),
    }


def mixed_file(tmp_path, ids):
    impossible = "37150219490230123"
    impossible += ric.calc_check_digit(impossible + "?")
    rows = [
        resident_row("张三", ids["a"], phone="13812345678"),  # 2 good
        resident_row("错校验", bad_checksum(ids["a"]), room="102"),  # 3 bad check digit
        resident_row("李四", ids["x"]),  # 4 good, X check character, same house as row 2
        resident_row("王生日", impossible, building="9", room="901"),  # 5 impossible birth date, new address
        resident_row("赵未来", ids["future"], moved_in="2099-01-01", building="8", room="801"),  # 6 future date
        resident_row("钱外区", ids["outside"], region=COMMUNITY_B, road="柳园路", grid=""),  # 7 outside scope
        resident_row("", ids["noname"], building="7", room="701"),  # 8 missing name
        resident_row("孙整数", ExactInt(ids["c"]), household="流动人口", moved_in=datetime(2023, 3, 1),
                     building="2", room="201"),  # 9 good, ID as an int cell, a datetime cell
        resident_row("周浮点", float(ids["float"]), building="6", room="601"),  # 10 ID corrupted to a float
        resident_row("吴斜杠", ids["d"], moved_in="2024/1/5", building="3", room="301"),  # 11 good
        resident_row("郑网格", ids["nogrid"], grid=GRID_A2, building="5", room="501"),  # 12 not my grid
    ]
    return xlsx(tmp_path, RESIDENT_HEADERS, rows)


EXPECTED_REJECTED = {3: "证件号码", 5: "证件号码", 6: "迁入日期", 7: "社区代码(12位)", 8: "姓名", 10: "证件号码",
                     12: "网格编码"}


@pytest.mark.django_db
def test_a_mixed_file_keeps_good_rows_and_leaves_nothing_of_bad_ones(city, tmp_path, ids):
    path = mixed_file(tmp_path, ids)
    before = counts()
    report = import_rows(city.worker_a, "residents", path, "mixed.xlsx")

    assert (report.submitted, report.updated, report.unchanged, report.rejected) == (4, 0, 0, 7)
    assert {r.row: r.column for r in report.rejected_rows} == EXPECTED_REJECTED
    reasons = {r.row: r.reason for r in report.rejected_rows}
    assert "校验位" in reasons[3]
    assert "出生日期不存在" in reasons[5]
    assert "晚于今天" in reasons[6]
    assert "管辖范围" in reasons[7]
    assert "姓名" in reasons[8]
    assert "文本" in reasons[10]
    assert "网格" in reasons[12]
    # only the good rows' records: rows 2 and 4 share one address and house
    after = counts()
    assert after["Address"] - before["Address"] == 3
    assert after["House"] - before["House"] == 3
    assert after["Resident"] - before["Resident"] == 4
    assert after["Residence"] - before["Residence"] == 4
    assert report.also_created == {"address": 3, "house": 3}
    assert not Address.objects.filter(building__in=["5", "6", "7", "8", "9"]).exists()
    assert set(Resident.objects.values_list("name", flat=True)) == {"张三", "李四", "孙整数", "吴斜杠"}
    sun = Resident.objects.get(name="孙整数")
    assert crypto.decrypt(sun.id_number_enc) == ids["c"]
    assert sun.household == Resident.Household.FLOATING and sun.moved_in == date(2023, 3, 1)
    assert Resident.objects.get(name="吴斜杠").moved_in == date(2024, 1, 5)
    li = Resident.objects.get(name="李四")
    assert li.id_masked.endswith("X") and li.sex in ("M", "F")
    # the grid worker sees what they imported
    assert Resident.objects.visible_to(city.worker_a).count() == 4
    assert Change.objects.filter(source="import:mixed.xlsx").count() == after["Change"] - before["Change"]


@pytest.mark.django_db
def test_re_importing_the_same_file_changes_nothing(city, tmp_path, ids):
    path = mixed_file(tmp_path, ids)
    import_rows(city.worker_a, "residents", path)
    before = counts()
    stamps = dict(Resident.objects.values_list("pk", "updated_at"))
    cipher = dict(Resident.objects.values_list("pk", "id_number_enc"))
    house_stamps = dict(House.objects.values_list("pk", "updated_at"))

    again = import_rows(city.worker_a, "residents", path)

    assert (again.submitted, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 7), [(r.row, r.errors) for r in again.rejected_rows]
    assert {r.row: r.column for r in again.rejected_rows} == EXPECTED_REJECTED
    assert counts() == before  # no new Change rows either
    assert dict(Resident.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Resident.objects.values_list("pk", "id_number_enc")) == cipher
    assert dict(House.objects.values_list("pk", "updated_at")) == house_stamps
    assert again.also_created == {}


@pytest.mark.django_db
def test_a_changed_row_is_an_update_and_leaves_a_change_row(city, tmp_path, ids):
    import_rows(city.worker_a, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("张三", ids["a"])]))
    changes = Change.objects.count()
    path = xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("张三", ids["a"], phone="13900001111")], "b.xlsx")
    report = import_rows(city.worker_a, "residents", path)
    assert (report.submitted, report.updated, report.unchanged) == (0, 1, 0)
    assert Resident.objects.get().phone == "13900001111"
    assert Change.objects.count() == changes + 1
    # blank household on an update keeps what is on record
    path = xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("张三", ids["a"], phone="13900001111", household="")],
                "c.xlsx")
    Resident.objects.update(household=Resident.Household.FLOATING)
    assert import_rows(city.worker_a, "residents", path).unchanged == 1
    assert Resident.objects.get().household == Resident.Household.FLOATING


@pytest.mark.django_db
def test_rows_are_numbered_as_excel_shows_them_across_chunks_blank_rows_and_the_hint_row(city, tmp_path, ids):
    wb = load_workbook(io.BytesIO(template_workbook("residents")))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=1).value  # the hint row stays in the file

    def put(row_no, values):
        for key, value in values.items():
            ws.cell(row=row_no, column=headers.index(key) + 1, value=value)

    base = {"社区代码(12位)": COMMUNITY_A, "街路巷/小区": "东关街", "网格编码": GRID_A1}
    put(3, {**base, "姓名": "甲", "证件号码": ids["a"], "室": "1"})
    put(4, {**base, "姓名": "乙", "证件号码": bad_checksum(ids["c"]), "室": "2"})
    # row 5 left blank
    put(6, {**base, "姓名": "丙", "证件号码": ids["d"], "室": "3"})
    put(7, {**base, "姓名": "丁", "证件号码": ids["x"], "室": "4", "人口类型": "外星人"})
    path = tmp_path / "t.xlsx"
    wb.save(path)
    report = import_rows(city.operator_a, "residents", path, chunk_size=2)
    assert (report.submitted, report.rejected) == (2, 2)
    assert [(r.row, r.column) for r in report.rejected_rows] == [(4, "证件号码"), (7, "人口类型")]
    assert "外星人" in report.rejected_rows[1].reason


@pytest.mark.django_db
def test_columns_may_come_in_any_order_and_headers_may_drop_the_parenthesis(city, tmp_path, ids):
    headers = ["室", "证件号码", "街路巷小区", "社区代码", "姓名", "网格编码"]
    path = xlsx(tmp_path, headers, [["101", ids["a"], "东关街", COMMUNITY_A, "张三", GRID_A1]])
    report = import_rows(city.worker_a, "residents", path)
    assert report.submitted == 1
    assert Resident.objects.get().house.address.room == "101"


@pytest.mark.django_db
@pytest.mark.parametrize("headers, problem", [
    (["姓名", "证件类型", "联系电话", "社区代码(12位)", "街路巷/小区"], "证件号码"),  # a required column missing
    (RESIDENT_HEADERS + ["身高"], "身高"),  # an unknown column
    (RESIDENT_HEADERS + ["姓名"], "重复"),
])
def test_the_whole_file_is_rejected_for_a_bad_header_row_and_nothing_is_written(city, tmp_path, ids, headers,
                                                                                 problem):
    rows = [[ids["a"] if h == "证件号码" else "张三" if h == "姓名" else COMMUNITY_A if h.startswith("社区")
             else "东关街" if h.startswith("街路巷") else "" for h in headers]]
    path = xlsx(tmp_path, headers, rows)
    before = counts()
    with pytest.raises(FileRejected) as exc:
        import_rows(city.operator_a, "residents", path)
    assert problem in str(exc.value.message)
    assert counts() == before


@pytest.mark.django_db
def test_a_file_that_is_not_xlsx_is_rejected_whole(city, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(FileRejected):
        import_rows(city.operator_a, "residents", path)
    with pytest.raises(FileRejected):
        import_rows(city.operator_a, "residents", xlsx(tmp_path, [], [], "empty.xlsx"))


@pytest.mark.django_db
def test_someone_who_may_not_write_cannot_import(city, tmp_path, ids):
    path = xlsx(tmp_path, RESIDENT_HEADERS, [resident_row("张三", ids["a"])])
    with pytest.raises(Forbidden):
        import_rows(city.leader_a, "residents", path)
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_an_int_id_cell_works_and_a_float_one_is_refused_not_corrupted(city, tmp_path, ids):
    as_float = float(ids["c"])
    digits = ids["a"] if ids["a"][-1] != "X" else make_id("19800101", check="7")  # an int cell has no X
    rows = [resident_row("整数", ExactInt(digits), room="1"), resident_row("浮点", as_float, room="2"),
            resident_row("科学计数", "1.10105194912E+17", room="3")]
    report = import_rows(city.worker_a, "residents", xlsx(tmp_path, RESIDENT_HEADERS, rows))
    assert report.submitted == 1
    assert [(r.row, r.column) for r in report.rejected_rows] == [(3, "证件号码"), (4, "证件号码")]
    assert crypto.decrypt(Resident.objects.get().id_number_enc) == digits
    assert not Resident.objects.filter(name="浮点").exists()


@pytest.mark.parametrize("raw, expected", [
    ("2024-01-05", date(2024, 1, 5)), ("2024/1/5", date(2024, 1, 5)), ("20240105", date(2024, 1, 5)),
    (20240105, date(2024, 1, 5)), ("2024年1月5日", date(2024, 1, 5)), ("2024.1.5", date(2024, 1, 5)),
    (datetime(2024, 1, 5, 0, 0), date(2024, 1, 5)), (date(2024, 1, 5), date(2024, 1, 5)),
    ("2024-01-05 00:00:00", date(2024, 1, 5)), (None, None), ("", None),
])
def test_dates_arrive_in_many_shapes(raw, expected):
    assert as_date(raw, "moved_in") == expected


@pytest.mark.parametrize("raw", ["2024-02-30", "5/1/2024", "45296", 45296, "明天"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(CellError):
        as_date(raw, "moved_in")


HOUSE_HEADERS = ["社区代码(12位)", "街路巷/小区", "楼栋", "单元", "楼层", "室", "网格编码", "建筑结构", "房屋用途",
                 "使用状态", "面积(㎡)", "产权人姓名", "产权人电话"]


@pytest.mark.django_db
def test_houses_import_once_and_re_import_unchanged(city, tmp_path):
    rows = [
        [COMMUNITY_A, "阳光花园", "3", "2", "5", "502", GRID_A1, "钢混", "住宅", "出租", 85.3, "刘产权", "13812345678"],
        [COMMUNITY_A, "阳光花园", "3", "2", "5", "503", GRID_A1, "钢混", "住宅", "出借", 90, "", ""],
        [COMMUNITY_A, "阳光花园", "3", "2", "5", "504", GRID_A1, "", "", "", -5, "", ""],
        [COMMUNITY_A, "阳光花园", "3", "2", "5", "505", GRID_A1, "", "", "", "", "", "12345"],
    ]
    path = xlsx(tmp_path, HOUSE_HEADERS, rows)
    report = import_rows(city.operator_a, "houses", path)
    assert (report.created, report.rejected) == (1, 3)
    assert [(r.row, r.column) for r in report.rejected_rows] == [(3, "使用状态"), (4, "面积(㎡)"), (5, "产权人电话")]
    assert Address.objects.count() == 1
    house = House.objects.get()
    assert (house.status, float(house.area)) == (House.Status.RENTED, 85.3)
    before = counts()
    again = import_rows(city.operator_a, "houses", path)
    assert (again.unchanged, again.rejected) == (1, 3)
    assert counts() == before


UNIT_HEADERS = ["单位名称", "统一社会信用代码", "单位类型", "法定代表人", "联系人", "联系电话", "重点单位类别", "从业人数",
                "社区代码(12位)", "街路巷/小区", "楼栋", "室"]


@pytest.mark.django_db
def test_units_validate_credit_codes_and_flags_and_re_import_unchanged(city, tmp_path):
    good = make_uscc("91371502MA3C1234")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        ["古城超市", good, "企业", "陈法人", "陈联系", "13812345678", "人员密集场所、消防重点单位", 12, COMMUNITY_A,
         "东关街", "1", "1"],
        ["坏代码公司", bad, "企业", "", "", "", "", "", COMMUNITY_A, "东关街", "2", "1"],
        ["无代码小吃", "", "个体工商户", "", "", "", "", 3, COMMUNITY_A, "东关街", "3", "1"],
        ["坏类别网吧", "", "企业", "", "", "", "网吧、赌场", "", COMMUNITY_A, "东关街", "4", "1"],
        ["外区公司", "", "企业", "", "", "", "", "", COMMUNITY_B, "柳园路", "1", "1"],
    ]
    path = xlsx(tmp_path, UNIT_HEADERS, rows)
    before = counts()
    report = import_rows(city.operator_a, "units", path)
    assert (report.created, report.rejected) == (2, 3)
    assert [(r.row, r.column) for r in report.rejected_rows] == [
        (3, "统一社会信用代码"), (5, "重点单位类别"), (6, "社区代码(12位)")]
    assert "校验位" in report.rejected_rows[0].reason
    assert Address.objects.count() - before["Address"] == 2  # nothing of the rejected rows' addresses
    shop = Unit.objects.get(uscc=good)
    assert shop.key_flags == ["crowded", "fire_key"] and shop.employees == 12
    before = counts()
    again = import_rows(city.operator_a, "units", path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 3)
    assert counts() == before  # a unit without a credit code is found by its name at its address


@pytest.fixture
def categories(db):
    install_default_key_categories()


def kp_headers():
    return ["姓名", "证件号码", "类别", "风险等级", "责任网格员", "列管日期", "矫正期满日期", "矫正类别", "管控类型", "备注"]


@pytest.mark.django_db
def test_key_persons_need_a_registered_resident_and_their_category_attributes(city, tmp_path, ids, categories):
    import_rows(city.worker_a, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [
        resident_row("张三", ids["a"], room="1"), resident_row("李四", ids["x"], room="2")], "r.xlsx"))
    rows = [
        ["张三", ids["a"], "社区矫正对象", "高", "worker_a", "2024-03-01", "2026-12-31", "缓刑", "", "按月报到"],
        ["李四", ids["x"], "吸毒人员", "中", "worker_a", "", "", "", "社区康复", ""],
        ["王五", ids["c"], "吸毒人员", "低", "", "", "", "", "社区戒毒", ""],  # not registered
        ["张三", ids["a"], "吸毒人员", "低", "", "", "2026-01-01", "", "社区戒毒", ""],  # attribute of another category
        ["李四", ids["x"], "社区矫正对象", "高", "", "", "", "管制", "", ""],  # required attribute missing
        ["李四", ids["x"], "刑满释放人员", "极高", "nobody", "", "", "", "", ""],  # bad risk level and worker
        ["错名", ids["a"], "重点青少年", "低", "", "", "", "", "", ""],  # name does not match
        ["张三", ids["a"], "重点青少年", "低", "", "2099-01-01", "", "", "", ""],  # listed in the future
        ["张三", ids["a"], "不存在的类别", "低", "", "", "", "", "", ""],
    ]
    path = xlsx(tmp_path, kp_headers(), rows)
    report = import_rows(city.worker_a, "key_persons", path)
    assert (report.created, report.rejected) == (2, 7)
    assert [(r.row, r.column) for r in report.rejected_rows] == [
        (4, "证件号码"), (5, "矫正期满日期"), (6, "矫正期满日期"), (7, "风险等级、责任网格员"), (8, "姓名"),
        (9, "列管日期"), (10, "类别")]
    kp = KeyPerson.objects.get(category__code="community_correction")
    assert kp.attributes == {"term_end": "2026-12-31", "correction_type": "缓刑"}
    assert (kp.risk_level, kp.worker, kp.since, kp.note) == ("high", city.worker_a, date(2024, 3, 1), "按月报到")
    before = counts()
    again = import_rows(city.worker_a, "key_persons", path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 7)
    assert counts() == before


@pytest.mark.django_db
def test_a_grid_worker_cannot_list_someone_outside_their_grids(city, tmp_path, ids, categories):
    import_rows(city.worker_b, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [
        resident_row("柳园人", ids["a"], region=COMMUNITY_B, road="柳园路", grid="")], "r.xlsx"))
    assert Resident.objects.count() == 1
    path = xlsx(tmp_path, kp_headers(), [["", ids["a"], "吸毒人员", "低", "", "", "", "", "社区戒毒", ""]])
    report = import_rows(city.worker_a, "key_persons", path)
    assert (report.rejected, report.rejected_rows[0].column) == (1, "证件号码")
    assert KeyPerson.objects.count() == 0


# --- the rejected-rows report --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_report_lists_rejected_rows_with_their_values_and_can_be_corrected_and_re_imported(city, tmp_path,
                                                                                               ids):
    report = import_rows(city.worker_a, "residents", mixed_file(tmp_path, ids))
    data = report_workbook(report)
    rows = sheet_rows(data)
    assert rows[0][:3] == ("行号", "列", "原因")
    assert list(rows[0][3:]) == RESIDENT_HEADERS
    assert [(r[0], r[1]) for r in rows[1:]] == sorted(EXPECTED_REJECTED.items())
    assert rows[1][3 + RESIDENT_HEADERS.index("姓名")] == "错校验"
    # fix row 8 (missing name) in the report and import the report file itself
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == 8:
            ws.cell(row=r, column=4, value="补上姓名")
    path = tmp_path / "fixed.xlsx"
    wb.save(path)
    again = import_rows(city.worker_a, "residents", path)
    assert again.submitted == 1 and again.rejected == len(EXPECTED_REJECTED) - 1
    assert Resident.objects.filter(name="补上姓名").exists()


# --- export -------------------------------------------------------------------------------------


@pytest.fixture
def imported(city, tmp_path, ids):
    import_rows(city.worker_a, "residents", mixed_file(tmp_path, ids))
    import_rows(city.worker_b, "residents", xlsx(tmp_path, RESIDENT_HEADERS, [
        resident_row("柳园人", ids["outside"], region=COMMUNITY_B, road="柳园路", grid="", phone="13799998888")],
        "b.xlsx"))
    return [ids["a"], ids["x"], ids["c"], ids["d"]]


def _grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def _contains_any(values, secrets) -> bool:
    text = [str(v) for v in values]
    return any(s in t for s in secrets for t in text)


@pytest.mark.django_db
def test_export_masks_identity_numbers_and_phones_by_default(city, imported, ids):
    data = export_workbook(city.operator_a, "residents")
    rows = sheet_rows(data)
    assert list(rows[0][:3]) == ["姓名", "证件类型", "证件号码"]
    assert len(rows) == 1 + 4  # township A only
    values = cells(data)
    assert not _contains_any(values, imported + ["13812345678"])
    assert crypto.mask_id(ids["a"]) in values and "138****5678" in values
    assert AccessLog.objects.count() == 0
    # nor the birth date: it is the 8 digits the mask hides (the year stays)
    header = rows[0]
    births = [r[header.index("出生日期")] for r in rows[1:]]
    assert births and all(isinstance(b, str) and len(b) == 4 and b.isdigit() for b in births), births


@pytest.mark.django_db
def test_a_full_export_needs_the_permission_and_a_reason_and_is_logged(city, imported, tmp_path):
    with pytest.raises(Forbidden):
        export_workbook(city.operator_a, "residents", full=True, reason="核查")
    operator = _grant(city.operator_a, "export_personal_data")
    with pytest.raises(ValidationFailed):
        export_workbook(operator, "residents", full=True, reason=" ")
    assert AccessLog.objects.count() == 0
    data = export_workbook(operator, "residents", full=True, reason="核查户籍信息")
    values = cells(data)
    assert all(number in values for number in imported) and "13812345678" in values
    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.model, log.count, log.reason) == (
        operator, AccessLog.Action.EXPORT, "resident", 4, "核查户籍信息")
    assert log.fields == ["id_number", "phone"]
    # a full export can be imported back (same columns): nothing changes
    path = export_workbook(operator, "residents", full=True, reason="回导", path=tmp_path / "full.xlsx")
    again = import_rows(operator, "residents", path)
    assert (again.unchanged, again.rejected) == (4, 0)


@pytest.mark.django_db
def test_without_the_permission_no_full_id_ever_reaches_the_file(city, imported, ids):
    everyone = list(imported) + [ids["outside"]]
    for user in (city.admin.__class__.objects.get(username="op_county"), city.worker_a, city.worker_b,
                 city.operator_b, city.leader_a):
        for kind in ("residents", "houses", "units"):
            data = export_workbook(user, kind)
            assert not _contains_any(cells(data), everyone), (user.username, kind)
        with pytest.raises(Forbidden):
            export_workbook(user, "residents", full=True, reason="想看")


@pytest.mark.django_db
def test_export_intersects_whatever_queryset_it_is_given_with_the_users_scope(city, imported):
    data = export_workbook(city.worker_b, "residents", Resident.objects.all())
    rows = sheet_rows(data)
    assert [r[0] for r in rows[1:]] == ["柳园人"]


@pytest.mark.django_db
def test_key_person_export_is_not_for_leaders_and_masks_by_default(city, tmp_path, ids, categories, imported):
    path = xlsx(tmp_path, kp_headers(), [["张三", ids["a"], "吸毒人员", "高", "worker_a", "", "", "", "社区戒毒", ""]],
                "kp.xlsx")
    assert import_rows(city.worker_a, "key_persons", path).created == 1
    with pytest.raises(Forbidden):
        export_workbook(city.leader_a, "key_persons")
    data = export_workbook(city.worker_a, "key_persons")
    rows = sheet_rows(data)
    header = rows[0]
    assert rows[1][header.index("管控类型")] == "社区戒毒" and rows[1][header.index("类别")] == "吸毒人员"
    assert not _contains_any(cells(data), [ids["a"]])


# --- templates ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind, expected", [
    ("residents", ["姓名", "证件类型", "证件号码", "联系电话", "人口类型", "户籍地", "与户主关系", "迁入日期", "社区代码(12位)",
                   "街路巷/小区", "楼栋", "单元", "楼层", "室"]),
    ("houses", ["社区代码(12位)", "建筑结构", "房屋用途", "使用状态", "面积(㎡)", "产权人姓名", "产权人电话"]),
    ("units", ["单位名称", "统一社会信用代码", "单位类型", "法定代表人", "联系人", "联系电话", "重点单位类别", "从业人数"]),
    ("key_persons", ["证件类型", "证件号码", "类别", "风险等级", "责任网格员", "列管日期", "矫正期满日期", "危险性评估等级",
                     "监护人"]),
])
def test_the_template_opens_with_chinese_headers_hints_and_dropdowns(categories, kind, expected):
    wb = load_workbook(io.BytesIO(template_workbook(kind)))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert set(expected) <= set(headers)
    assert all(ws.cell(row=2, column=i + 1).value is not None for i, h in enumerate(headers)
               if h in ("证件号码", "社区代码(12位)", "单位名称"))
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    if kind in ("residents", "key_persons"):
        assert any("居民身份证" in f for f in lists)
    if kind == "houses":
        assert any("出租" in f for f in lists)
    assert wb.sheetnames[1] == "填写说明"


@pytest.mark.django_db
def test_a_filled_in_template_imports(city, tmp_path, ids):
    wb = load_workbook(io.BytesIO(template_workbook("residents")))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    row = {"姓名": "张三", "证件号码": ids["a"], "社区代码(12位)": COMMUNITY_A, "街路巷/小区": "东关街",
           "网格编码": GRID_A1, "人口类型": "流动人口"}
    for key, value in row.items():
        ws.cell(row=3, column=headers.index(key) + 1, value=value)
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    assert import_rows(city.worker_a, "residents", path).submitted == 1


# --- commands -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_commands(city, tmp_path, ids, capsys):
    template = tmp_path / "template.xlsx"
    call_command("registry_template", "units", str(template))
    assert "单位名称" in cells(template.read_bytes())

    src = mixed_file(tmp_path, ids)
    out = tmp_path / "report.xlsx"
    call_command("import_registry", "residents", str(src), "--user", "worker_a", "--report", str(out))
    printed = capsys.readouterr().out
    assert "已提交登记4" in printed and "拒绝7" in printed and "第3行 [证件号码]" in printed
    assert len(sheet_rows(out.read_bytes())) == 1 + 7

    bad = xlsx(tmp_path, ["姓名"], [["张三"]], "bad.xlsx")
    with pytest.raises(CommandError, match="证件号码"):
        call_command("import_registry", "residents", str(bad), "--user", "worker_a")

    export = tmp_path / "export.xlsx"
    call_command("export_registry", "residents", str(export), "--user", "op_county", "--region", COMMUNITY_A)
    assert len(sheet_rows(export.read_bytes())) == 1 + 4
    assert not _contains_any(cells(export.read_bytes()), [ids["a"]])
    with pytest.raises(CommandError):
        call_command("export_registry", "residents", str(export), "--user", "op_county", "--full", "--reason", "核查")
    _grant(city.county_operator, "export_personal_data")
    call_command("export_registry", "residents", str(export), "--user", "op_county", "--full", "--reason", "核查")
    assert ids["a"] in cells(export.read_bytes())
    assert AccessLog.objects.get().reason == "核查"
