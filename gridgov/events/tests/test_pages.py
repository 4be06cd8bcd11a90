"""The event pages: who sees what, forms that create and act through the services, and their errors.

Moved from gridgov/web/tests/test_pages.py with the pages; the shell's login and home tests are in
gridgov/web/tests/test_shell.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import Notification
from gridgov.events import services
from gridgov.events.models import Event, EventLog, Status
from gridgov.events.workflow import Citizen
from gridgov.testing import image_bytes

TZ = ZoneInfo("Asia/Shanghai")
# long past: anything reported then is overdue whenever the tests run
LONG_AGO = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
IN_A1 = {"lng": "116.005", "lat": "36.405"}
# the smallest thing the upload check accepts as a JPEG: the SOI/APP0 marker and some bytes
TINY_JPEG = image_bytes("JPEG")  # a real picture: uploads are decoded and re-encoded


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def jpeg(name="photo.jpg"):
    return SimpleUploadedFile(name, TINY_JPEG, content_type="image/jpeg")


def detail_url(event) -> str:
    return reverse("events:detail", args=[event.number])


def act_url(event, action: str) -> str:
    return reverse("events:act", args=[event.number, action])


def text(response) -> str:
    return response.content.decode()


def table_of(body: str) -> str:
    """Only the event table (the header's notifications also name events)."""
    return body[body.index('<table class="events">') : body.index("</table>")]


def table(response) -> str:
    return table_of(text(response))


def dispatched(city, report, **kw) -> Event:
    e = report(now=timezone.now(), **kw)
    services.perform_action(city.operator_a, e, "accept", {})
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "dispatch", {"lead_department": "CG"})
    return Event.objects.get(pk=e.pk)


# --- the report form -----------------------------------------------------------------------------


def _report_post(cats, key="k-1", **extra):
    data = {
        "category": "0301",
        "description": "路口垃圾堆积已有三天",
        "address": "古楼路12号",
        "people_involved": "0",
        "urgency": "",
        "idempotency_key": key,
        **IN_A1,
    }
    data.update(extra)
    return data


def test_the_report_form_groups_categories_and_carries_an_idempotency_key(city, cats):
    r = as_user(city.worker_a).get(reverse("events:new"))
    body = text(r)
    assert r.status_code == 200
    assert '<optgroup label="城市管理">' in body and "道路保洁" in body
    assert 'name="idempotency_key"' in body and 'name="attachments"' in body and "multiple" in body
    assert "使用当前位置" in body and "就地解决" in body
    # the map starts on the worker's township (community outlines and grid names, no tiles)
    assert 'data-fit-region="371502001"' in body and "/api/v1/regions/outlines" in body


def test_the_report_form_creates_an_event_with_a_photo(city, cats):
    c = as_user(city.worker_a)
    r = c.post(reverse("events:new"), {**_report_post(cats), "attachments": [jpeg()]})
    assert r.status_code == 302
    event = Event.objects.get()
    assert r.url == detail_url(event)
    assert event.reporter == city.worker_a and event.grid == city.grid_a1 and event.status == Status.REPORTED
    assert event.attachments.count() == 1 and event.attachments.get().kind == "photo"
    page = c.get(r.url)
    assert f"上报成功，事件编号：{event.number}" in text(page)
    assert event.attachments.get().url in text(page)


def test_a_double_submit_with_the_same_key_creates_one_event(city, cats):
    c = as_user(city.worker_a)
    first = c.post(reverse("events:new"), _report_post(cats, key="same-key"))
    second = c.post(reverse("events:new"), _report_post(cats, key="same-key"))
    assert Event.objects.count() == 1
    assert first.url == second.url == detail_url(Event.objects.get())
    assert "未重复创建" in text(c.get(second.url))


def test_bad_input_renders_the_form_again_with_chinese_errors(city, cats):
    r = as_user(city.worker_a).post(reverse("events:new"), _report_post(cats, category="", description="垃圾"))
    assert r.status_code == 400
    body = text(r)
    assert "请选择有效的事件分类" in body and "至少5个字" in body
    assert "垃圾" in body  # what was typed is kept
    assert Event.objects.count() == 0


def test_no_location_and_no_address_is_a_field_error(city, cats):
    r = as_user(city.worker_a).post(reverse("events:new"), _report_post(cats, lng="", lat="", address=""))
    assert r.status_code == 400 and "请在地图上选择位置或填写地址" in text(r)


def test_a_file_that_is_not_media_is_refused(city, cats):
    bad = SimpleUploadedFile("x.jpg", b"MZ this is not a picture at all", content_type="image/jpeg")
    r = as_user(city.worker_a).post(reverse("events:new"), {**_report_post(cats), "attachments": [bad]})
    assert r.status_code == 400 and "仅支持" in text(r) and Event.objects.count() == 0


def test_resolving_on_the_spot_needs_a_result_and_a_photo(city, cats):
    c = as_user(city.worker_a)
    r = c.post(reverse("events:new"), _report_post(cats, resolve_on_spot="on"))
    assert r.status_code == 400 and "请填写就地解决的处置情况" in text(r)
    r = c.post(
        reverse("events:new"),
        {**_report_post(cats, resolve_on_spot="on", on_spot_result="已当场清理"), "attachments": [jpeg()]},
    )
    assert r.status_code == 302
    assert Event.objects.get().status == Status.HANDLED


def test_liaisons_and_leaders_do_not_report(city, cats):
    assert as_user(city.liaison_cg).get(reverse("events:new")).status_code == 403
    assert as_user(city.leader_a).get(reverse("events:new")).status_code == 403


def test_an_operator_chooses_the_source(city, cats):
    c = as_user(city.operator_a)
    assert "热线" in text(c.get(reverse("events:new")))
    r = c.post(reverse("events:new"), _report_post(cats, source="hotline"))
    assert r.status_code == 302 and Event.objects.get().source == "hotline"


# --- duplicates while reporting ------------------------------------------------------------------


def test_duplicates_are_offered_with_distance_and_a_supplement_button(city, report):
    existing = report(now=timezone.now())
    c = as_user(city.worker_a)
    r = c.get(reverse("events:duplicates"), {"category": "0301", "lng": "116.0051", "lat": "36.405"})
    body = text(r)
    assert r.status_code == 200 and existing.number in body and "相距 9 米" in body
    assert act_url(existing, "supplement") in body and "补充到该事件" in body
    # another category, or no point yet: nothing
    assert existing.number not in text(c.get(reverse("events:duplicates"), {"category": "0302", **IN_A1}))
    assert text(c.get(reverse("events:duplicates"), {"category": "0301"})).strip() == ""


def test_supplementing_from_the_report_form_adds_to_the_event_instead_of_creating_one(city, report):
    existing = report(now=timezone.now())
    c = as_user(city.worker_a)
    r = c.post(
        act_url(existing, "supplement"),
        {**_report_post(None, description="垃圾越来越多了，有异味"), "from_report": "1", "attachments": [jpeg()]},
    )
    assert r.status_code == 302 and r.url == detail_url(existing)
    assert Event.objects.count() == 1
    entry = existing.log.get(action="supplement")
    assert entry.note == "垃圾越来越多了，有异味" and entry.attachments.count() == 1
    assert "已补充到事件" in text(c.get(r.url))


# --- the event page: scope and actions -----------------------------------------------------------


def test_another_townships_operator_gets_404_on_the_page_and_the_action(city, report):
    e = report()
    c = as_user(city.operator_b)
    r = c.get(detail_url(e))
    assert r.status_code == 404 and "未找到" in text(r)
    r = c.post(act_url(e, "accept"))
    assert r.status_code == 404
    assert Event.objects.get(pk=e.pk).status == Status.REPORTED


def test_an_unknown_number_is_404(city, cats):
    assert as_user(city.admin).get(reverse("events:detail", args=["SJ000"])).status_code == 404


def test_the_page_shows_only_the_actions_the_viewer_may_take(city, report):
    e = report()
    body = text(as_user(city.operator_a).get(detail_url(e)))
    assert act_url(e, "accept") in body and ">受理<" in body
    assert act_url(e, "reject") in body and act_url(e, "dispatch") not in body
    # the reporter may add to it but not accept it
    body = text(as_user(city.worker_a).get(detail_url(e)))
    assert act_url(e, "accept") not in body and act_url(e, "supplement") in body
    # a liaison sees it once dispatched to them, and may sign, not accept
    e = dispatched(city, report)
    body = text(as_user(city.liaison_cg).get(detail_url(e)))
    assert act_url(e, "sign") in body and act_url(e, "accept") not in body and act_url(e, "dispatch") not in body
    # a leader may supervise only
    body = text(as_user(city.leader_a).get(detail_url(e)))
    assert act_url(e, "supervise") in body and act_url(e, "sign") not in body


def test_the_page_shows_the_place_reporter_and_timeline(city, report):
    e = report(reporter_phone="13812345678")
    body = text(as_user(city.operator_a).get(detail_url(e)))
    assert "古城社区第一网格" in body and "古城社区居委会" in body and "道路保洁" in body
    assert "路面有大量垃圾未清理" in body and "上报" in body and "待受理" in body
    assert "grid-boundary" in body and "data-map-view" in body
    assert "已超期" in body  # reported on a Monday morning, long ago


def test_accept_and_dispatch_through_the_page(city, report):
    e = report(now=timezone.now())
    c = as_user(city.operator_a)
    r = c.post(act_url(e, "accept"))
    assert r.status_code == 302 and r.url == detail_url(e)
    assert Event.objects.get(pk=e.pk).status == Status.ACCEPTED
    page = text(c.get(r.url))
    assert "操作成功：受理" in page and act_url(e, "dispatch") in page
    assert 'value="CG"' in page and 'value="ZJ"' in page  # departments of the county serve the place
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(
        act_url(e, "dispatch"),
        {"lead_department": "CG", "assisting_departments": ["ZJ"], "deadline": deadline, "note": "请尽快处理"},
    )
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.status == Status.DISPATCHED and e.lead_department == city.dept_cg
    assert list(e.assisting_departments.values_list("code", flat=True)) == ["ZJ"]
    assert timezone.localtime(e.deadline).strftime("%Y-%m-%dT%H:%M") == deadline
    body = text(c.get(detail_url(e)))
    assert "区城管局" in body and "区住建局" in body and "请尽快处理" in body


def test_an_action_not_allowed_now_is_409_with_the_message(city, report):
    e = report(now=timezone.now())
    c = as_user(city.operator_a)
    c.post(act_url(e, "accept"))
    r = c.post(act_url(e, "accept"))
    assert r.status_code == 409
    assert "当前状态“已受理”下不能执行“受理”" in text(r)
    assert EventLog.objects.filter(event=e, action="accept").count() == 1


def test_an_action_by_someone_not_permitted_is_403(city, report):
    e = report()
    r = as_user(city.worker_a).post(act_url(e, "accept"))
    assert r.status_code == 403 and "您无权" in text(r)


def test_a_dispatch_without_a_department_is_400_with_the_field_error(city, report):
    e = report(now=timezone.now())
    c = as_user(city.operator_a)
    c.post(act_url(e, "accept"))
    r = c.post(act_url(e, "dispatch"), {"lead_department": "", "note": "派"})
    assert r.status_code == 400 and "请选择负责该地区的有效部门" in text(r)
    assert 'id="act-dispatch" open' in text(r)
    assert Event.objects.get(pk=e.pk).status == Status.ACCEPTED


def test_a_reject_without_a_reason_is_400(city, report):
    e = report()
    r = as_user(city.operator_a).post(act_url(e, "reject"), {"note": "  "})
    assert r.status_code == 400 and "此操作需要填写说明" in text(r)


def test_an_unknown_action_is_400_not_500(city, report):
    e = report()
    r = as_user(city.operator_a).post(act_url(e, "explode"))
    assert r.status_code == 400 and "未知操作" in text(r)


def test_the_liaison_signs_feeds_back_with_a_photo_and_the_center_closes(city, report):
    e = dispatched(city, report)
    liaison = as_user(city.liaison_cg)
    assert liaison.post(act_url(e, "sign")).status_code == 302
    r = liaison.post(act_url(e, "feedback"), {"note": "已清理完毕", "attachments": [jpeg()]})
    assert r.status_code == 302
    entry = e.log.get(action="feedback")
    assert entry.attachments.count() == 1
    op = as_user(city.operator_a)
    assert op.post(act_url(e, "verify_pass")).status_code == 302
    e.refresh_from_db()
    assert e.status == Status.CLOSED
    # the grid worker who reported it rates it
    worker = as_user(city.worker_a)
    assert act_url(e, "rate") in text(worker.get(detail_url(e)))
    assert worker.post(act_url(e, "rate"), {"rating": "basically", "note": "还行"}).status_code == 302
    assert Event.objects.get(pk=e.pk).rating == "basically"


def test_an_extension_request_is_shown_to_the_center_for_approval(city, report):
    e = dispatched(city, report)
    liaison = as_user(city.liaison_cg)
    liaison.post(act_url(e, "sign"))
    later = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = liaison.post(act_url(e, "request_extension"), {"requested_deadline": later, "note": "需要采购材料"})
    assert r.status_code == 302
    body = text(as_user(city.operator_a).get(detail_url(e)))
    assert act_url(e, "approve_extension") in body and "需要采购材料" in body
    assert as_user(city.operator_a).post(act_url(e, "approve_extension")).status_code == 302
    e.refresh_from_db()
    assert timezone.localtime(e.deadline).strftime("%Y-%m-%dT%H:%M") == later


def test_merging_from_the_duplicates_panel_merges_this_event_into_the_chosen_one(city, report):
    first = report(now=timezone.now())
    second = report(now=timezone.now(), lng=116.0051)
    c = as_user(city.operator_a)
    body = text(c.get(detail_url(second)))
    assert "疑似重复事件" in body and first.number in body and "合并到此事件" in body
    r = c.post(act_url(second, "merge"), {"target": first.number, "note": "同一问题"})
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    assert Event.objects.get(pk=first.pk).status == Status.REPORTED


def test_supervision_shows_a_badge_in_the_worklist(city, report):
    e = report(now=timezone.now())
    r = as_user(city.leader_a).post(act_url(e, "supervise"), {"level": "red", "note": "尽快"})
    assert r.status_code == 302
    assert "sup-red" in text(as_user(city.operator_a).get(reverse("events:list")))


# --- lists ---------------------------------------------------------------------------------------


def test_the_worklist_filters_by_state_and_sla_state(city, report):
    overdue = report(now=LONG_AGO)
    fresh = report(now=timezone.now(), description="井盖缺失，行人危险")
    c = as_user(city.operator_a)
    c.post(act_url(fresh, "accept"))
    url = reverse("events:list")

    body = text(c.get(url))
    assert "待受理 <b>1</b>" in body and "已受理 <b>1</b>" in body
    body = table(c.get(url))
    assert overdue.number in body and fresh.number in body

    body = table(c.get(url, {"status": "accepted"}))
    assert fresh.number in body and overdue.number not in body

    body = table(c.get(url, {"sla_state": "overdue"}))
    assert overdue.number in body and fresh.number not in body and "sla-overdue" in body

    body = table(c.get(url, {"sla_state": "normal"}))
    assert fresh.number in body and overdue.number not in body and "sla-normal" in body

    body = table(c.get(url, {"q": "井盖"}))
    assert fresh.number in body and overdue.number not in body

    body = table(c.get(url, {"region": city.community_a.code, "category": "03"}))
    assert fresh.number in body and overdue.number in body


def test_the_worklist_is_scoped_and_offers_the_regions_below(city, report):
    e = report()
    body = table(as_user(city.operator_b).get(reverse("events:list")))
    assert e.number not in body
    body = text(as_user(city.county_operator).get(reverse("events:list")))
    assert e.number in body and "古楼街道" in body and "柳园社区居委会" in body


def test_a_bad_filter_is_400_not_500(city, cats):
    r = as_user(city.operator_a).get(reverse("events:list"), {"status": "nonsense", "sla_state": "soon"})
    assert r.status_code == 400 and "状态无效" in text(r)


def test_the_worklist_pages_by_30(city, report):
    for _ in range(31):
        report(now=timezone.now())
    c = as_user(city.operator_a)
    first = text(c.get(reverse("events:list")))
    assert first.count('class="c-number"') == 30 and "第 1 / 2 页" in first
    second = text(c.get(reverse("events:list"), {"page": "2"}))
    assert second.count('class="c-number"') == 1


def test_my_reports_lists_only_my_own(city, report):
    mine = report()
    other = report(actor=city.worker_b, lng=116.105, lat=36.405)
    body = text(as_user(city.worker_a).get(reverse("events:mine")))
    assert mine.number in body and other.number not in body  # grid workers get no notifications here


def test_the_inbox_lists_dispatched_events_for_that_departments_liaison_only(city, report):
    e = dispatched(city, report)
    body = text(as_user(city.liaison_cg).get(reverse("events:inbox")))
    assert e.number in table_of(body) and "待签收/报到 <b>1</b>" in body
    assert e.number not in table(as_user(city.liaison_zj).get(reverse("events:inbox")))
    assert as_user(city.operator_a).get(reverse("events:inbox")).status_code == 403
    as_user(city.liaison_cg).post(act_url(e, "sign"))
    c = as_user(city.liaison_cg)
    assert e.number not in table(c.get(reverse("events:inbox")))
    assert e.number in table(c.get(reverse("events:inbox"), {"tab": "handling"}))


def test_the_inbox_pager_totals_the_tabs_count_and_pages_through_it(city, report, monkeypatch):
    monkeypatch.setattr("gridgov.web.views.PAGE_SIZE", 2)
    for _ in range(3):
        dispatched(city, report)
    c = as_user(city.liaison_cg)
    body = text(c.get(reverse("events:inbox")))
    assert "待签收/报到 <b>3</b>" in body and "第 1 / 2 页，共 3 件" in body
    assert "第 2 / 2 页，共 3 件" in text(c.get(reverse("events:inbox"), {"page": 2}))


def test_an_assisting_department_sees_the_case_to_report_in_then_under_handling(city, report):
    e = report(now=timezone.now())
    services.perform_action(city.operator_a, e, "accept", {})
    services.perform_action(
        city.operator_a,
        Event.objects.get(pk=e.pk),
        "dispatch",
        {"lead_department": "CG", "assisting_departments": ["ZJ"]},
    )
    c = as_user(city.liaison_zj)
    body = text(c.get(reverse("events:inbox")))
    assert e.number in body and "协办" in body and "报到时限" in body
    assert e.number not in table(c.get(reverse("events:inbox"), {"tab": "handling"}))
    assert act_url(e, "report_in") in text(c.get(detail_url(e)))
    services.perform_action(city.liaison_zj, Event.objects.get(pk=e.pk), "report_in", {})
    assert e.number in table(c.get(reverse("events:inbox"), {"tab": "handling"}))
    assert e.number not in table(c.get(reverse("events:inbox")))


# --- notifications -------------------------------------------------------------------------------


def test_the_header_counts_unread_notifications_and_the_list_marks_them_read(city, report):
    e = report()
    c = as_user(city.operator_a)
    assert Notification.objects.filter(recipient=city.operator_a, read_at__isnull=True).count() == 1
    body = text(c.get(reverse("events:list")))
    assert 'class="notif-count">1<' in body
    body = text(c.get(reverse("web:notifications")))
    assert e.number in body and detail_url(e) in body
    assert not Notification.objects.filter(recipient=city.operator_a, read_at__isnull=True).exists()
    assert 'class="notif-count"' not in text(c.get(reverse("events:list")))


# --- citizens ------------------------------------------------------------------------------------


def test_a_citizen_reports_tracks_and_rates(client, city, cats):
    r = client.get(reverse("web:citizen_report"))
    assert r.status_code == 200 and 'name="reporter_phone"' in text(r)
    data = {
        "category": "0305",
        "description": "小区门口路灯不亮已经一周",
        "address": "柳园路8号",
        "reporter_phone": "13912345678",
        "reporter_name": "王先生",
        "idempotency_key": "c-1",
        "lng": "116.105",
        "lat": "36.405",
        "attachments": [jpeg()],
    }
    r = client.post(reverse("web:citizen_report"), data)
    assert r.status_code == 200
    event = Event.objects.get()
    assert event.source == "citizen" and event.reporter is None and event.attachments.count() == 1
    assert event.grid == city.grid_b1
    assert f'id="tracking-number">{event.number}<' in text(r) and "139****5678" in text(r)
    # a refresh of the result page posts the same key again: still one event
    client.post(reverse("web:citizen_report"), {**data, "attachments": []})
    assert Event.objects.count() == 1

    track = reverse("web:citizen_track")
    r = client.post(track, {"number": event.number, "phone": "13900000000"})
    assert r.status_code == 404 and "未找到" in text(r)
    r = client.post(track, {"number": event.number, "phone": "13912345678"})
    assert r.status_code == 200 and "待受理" in text(r) and 'name="rating"' not in text(r)

    op = city.operator_b
    services.perform_action(op, event, "accept", {})
    services.perform_action(op, Event.objects.get(pk=event.pk), "dispatch", {"lead_department": "CG"})
    services.perform_action(city.liaison_cg, Event.objects.get(pk=event.pk), "sign", {})
    services.perform_action(city.liaison_cg, Event.objects.get(pk=event.pk), "feedback", {"note": "路灯已修复"})
    services.perform_action(op, Event.objects.get(pk=event.pk), "verify_pass", {})

    r = client.post(track, {"number": event.number, "phone": "13912345678"})
    body = text(r)
    assert "已结案" in body and "路灯已修复" in body and 'name="rating"' in body
    r = client.post(track, {"number": event.number, "phone": "13912345678", "op": "rate", "rating": ""})
    assert r.status_code == 400 and "请选择" in text(r)
    r = client.post(
        track, {"number": event.number, "phone": "13912345678", "op": "rate", "rating": "satisfied", "note": "很快"}
    )
    assert r.status_code == 200 and "感谢您的评价" in text(r)
    event.refresh_from_db()
    assert event.rating == "satisfied" and event.rating_comment == "很快"
    assert 'name="rating"' not in text(client.post(track, {"number": event.number, "phone": "13912345678"}))


def test_a_citizen_report_with_a_bad_phone_is_400(client, city, cats):
    r = client.post(
        reverse("web:citizen_report"),
        {"category": "0305", "description": "路灯不亮已经一周", "address": "柳园路8号", "reporter_phone": "12345"},
    )
    assert r.status_code == 400 and "请填写11位手机号码" in text(r) and Event.objects.count() == 0


def test_a_citizen_cannot_rate_someone_elses_event(client, city, cats):
    e, _ = services.create_event(
        Citizen(phone="13912345678"),
        services.EventInput(
            category="0305", description="路灯不亮已经一周", address="柳园路8号", reporter_phone="13912345678"
        ),
    )
    r = client.post(
        reverse("web:citizen_track"),
        {"number": e.number, "phone": "13800000000", "op": "rate", "rating": "unsatisfied"},
    )
    assert r.status_code == 404
    assert Event.objects.get(pk=e.pk).rating == ""


def test_the_event_page_names_which_deadline_is_running(city, report, client):
    e = report()
    client.force_login(city.operator_a)
    assert "受理派遣时限" in text(client.get(f"/events/{e.number}/"))
    services.perform_action(city.operator_a, e, "accept")
    services.perform_action(city.operator_a, e, "dispatch", {"lead_department": "CG"})
    assert "办理时限" in text(client.get(f"/events/{e.number}/"))


def test_the_track_page_of_a_merged_report_shows_the_original_cases_progress(client, city, cats):
    from gridgov.events import services as ev
    from gridgov.events.workflow import Citizen

    data = ev.EventInput(category="0301", description="路口垃圾堆积", lng=116.005, lat=36.405)
    original, _ = ev.create_event(city.worker_a, data)
    mine, _ = ev.create_event(Citizen(phone="13900001111"), ev.EventInput(
        category="0301", description="路口垃圾很多", lng=116.005, lat=36.405, reporter_phone="13900001111"))
    ev.perform_action(city.operator_a, mine, "merge", {"target": original.number})
    ev.perform_action(city.operator_a, ev.Event.objects.get(pk=original.pk), "accept", {})
    r = client.post(reverse("web:citizen_track"), {"number": mine.number, "phone": "13900001111"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "合并办理进展" in body and original.number in body and "已受理" in body


def test_a_busy_spot_offers_the_nearest_duplicates_first_and_reads_only_those(city, report, django_assert_num_queries):
    now = timezone.now()
    # twelve open reports of one kind around one place, 0–110 m away from the point asked about
    made = [report(now=now - timedelta(minutes=i), lng=116.005 + i * 0.0001, lat=36.405) for i in range(12)]
    everything = services.find_duplicates(made[0].category, 116.005, 36.405, now=now)
    assert [e.pk for e, _d in everything] == [e.pk for e in made]  # nearest first
    assert [d for _e, d in everything] == sorted(d for _e, d in everything) and everything[0][1] == 0
    # the candidates' keys and places in one statement, the events returned in one more: not twelve rows
    with django_assert_num_queries(2) as ctx:
        nearest = services.find_duplicates(made[0].category, 116.005, 36.405, now=now, limit=3)
    assert [(e.pk, d) for e, d in nearest] == [(e.pk, d) for e, d in everything[:3]]
    assert nearest[0][0].category.code == "0301"  # loaded with the event, no statement more
    assert "IN (" in ctx.captured_queries[1]["sql"] and len(ctx.captured_queries) == 2
    # the event page shows at most ten of them, the nearest
    html = text(as_user(city.operator_a).get(detail_url(made[0])))
    panel = html[html.index('id="duplicates"'):]
    panel = panel[:panel.index("</section>")]
    assert [e.number in panel for e in made[1:]] == [True] * 10 + [False]
