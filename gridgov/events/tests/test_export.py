"""导出Excel on the event worklist: exactly the filtered list (same filters, same scope, same order) with
Chinese headers; text never becomes a formula; a list over the cap is refused with a message."""

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from gridgov.events import export, services
from gridgov.events.models import Event
from gridgov.events.tests.conftest import MONDAY_0900

T0 = MONDAY_0900


def act(user, event, action, now, **raw):
    services.perform_action(user, Event.objects.get(pk=event.pk), action, raw, now=now)


@pytest.fixture
def events(city, report):
    """Five events in township A (one closed on time, one rejected), one in township B."""
    made = [report(now=T0 + timedelta(hours=i), title=f"古楼事件{i}") for i in range(4)]
    e = made[0]
    for user, action, raw in [(city.operator_a, "accept", {}), (city.operator_a, "dispatch", {"lead_department": "CG"}),
                              (city.liaison_cg, "sign", {}), (city.liaison_cg, "feedback", {"note": "已处理"}),
                              (city.operator_a, "verify_pass", {})]:
        act(user, e, action, T0 + timedelta(hours=5), **raw)
    act(city.operator_a, made[1], "reject", T0 + timedelta(hours=5), note="不属于受理范围")
    made.append(report(now=T0 + timedelta(days=1), title="=HYPERLINK(\"http://x\",\"点我\")"))
    made.append(report(city.worker_b, lng=116.105, now=T0, title="柳园事件"))
    return made


def download(client, user, query=""):
    client.force_login(user)
    return client.get(f"/events/export/{query}")


def sheet(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp["Content-Type"] == export.XLSX and "attachment" in resp["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    return [[c.value for c in row] for row in ws.iter_rows()]


@pytest.mark.parametrize("who,query,params", [
    ("operator_a", "", {}),
    ("operator_b", "", {}),
    ("leader_county", "", {}),
    ("operator_a", "?status=closed", {"status": "closed"}),
    ("operator_a", "?status=reported&q=垃圾", {"status": "reported", "q": "垃圾"}),
    ("leader_county", "?region=371502002", {"region": "371502002"}),
    ("operator_a", "?sla_state=overdue", {"sla_state": "overdue"}),
    ("worker_a", "", {}),
])
def test_export_rows_are_the_filtered_worklist_in_its_order(city, client, events, who, query, params):
    user = getattr(city, who)
    rows = sheet(download(client, user, query))
    expected = list(services.filtered_events(user, **params).values_list("number", flat=True))
    assert expected  # every case exports something
    assert [r[0] for r in rows[1:]] == expected
    worklist = client.get(f"/events/{query}")
    assert [e.number for e in worklist.context["page"].object_list] == expected  # the page lists the same


def test_export_has_chinese_headers_and_the_case_facts(city, client, events):
    rows = sheet(download(client, city.operator_a, "?status=closed"))
    head = rows[0]
    assert head[:9] == ["事件编号", "标题", "事件描述", "分类", "来源", "所属区划", "网格", "状态", "紧急程度"]
    assert {"上报时间", "当前环节时限", "时限状态", "办结时限", "结案时间", "按期结案"} <= set(head)
    row = dict(zip(head, rows[1], strict=True))
    e = Event.objects.get(number=row["事件编号"])
    assert (row["标题"], row["状态"], row["按期结案"], row["主办部门"]) == ("古楼事件0", "已结案", "是", "区城管局")
    assert row["事件描述"] == "路面有大量垃圾未清理"
    assert row["分类"] == "城市管理 / 道路保洁" and row["网格"] == "古城社区第一网格"
    assert isinstance(row["上报时间"], datetime) and row["上报时间"] == e.created_at.astimezone(T0.tzinfo).replace(
        tzinfo=None)


def test_text_that_looks_like_a_formula_stays_text(city, client, events):
    client.force_login(city.operator_a)
    resp = client.get("/events/export/?q=" + events[4].number)
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    cell = ws.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_a_list_over_the_cap_is_refused_with_a_message(city, client, events, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    resp = download(client, city.operator_a, "?status=reported")
    assert resp.status_code == 302 and resp["Location"] == "/events/?status=reported"
    page = client.get(resp["Location"]).content.decode()
    assert "超过导出上限 2 件" in page


def test_bad_filters_are_the_worklists_400(city, client, events):
    resp = download(client, city.operator_a, "?status=nonsense")
    assert resp.status_code == 400 and "状态无效" in resp.content.decode()


def test_worklist_links_to_the_export_with_its_filters(city, client, events):
    client.force_login(city.operator_a)
    html = client.get("/events/?status=reported&q=古楼&page=1").content.decode()
    assert 'href="/events/export/?status=reported&amp;q=%E5%8F%A4%E6%A5%BC"' in html


def test_export_needs_a_login(client):
    resp = client.get("/events/export/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
