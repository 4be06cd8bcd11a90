"""Defects found in review, each pinned: impossible dates, the sweep after a new deadline, the place of a
registration, outcomes credited to the mediator who mediated, masked agreement copies, uploads in the wrong
state, label collisions, list bounds."""

import io
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from docx import Document

from gridgov.disputes import services, sla
from gridgov.disputes.models import Agreement, Mediator
from gridgov.registry.models import AccessLog
from gridgov.testing import image_bytes

from .test_mediators import _conclude, stats
from .test_workflow import SESSION, SUCCEED, S, drive


def _text(body: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)


def test_an_impossible_date_is_a_field_error_not_a_500(make_dispute, city, mediators, client, api):
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    client.force_login(mediators["a"].user)
    r = client.post(reverse("disputes:act", args=[d.number, "succeed"]),
                    {**SUCCEED, "signed_on": "2026-02-30"})
    assert r.status_code == 400 and "日期格式无效" in r.content.decode()
    r = client.post(reverse("disputes:act", args=[d.number, "session"]),
                    {"held_at": "2026-02-30T10:00", "mode": "onsite", "place": "调解室", "minutes": "双方到场陈述"})
    assert r.status_code == 400
    status, body = api("post", f"/disputes/{d.number}/actions/session", mediators["a"].user,
                       {"held_at": "2026-11-20T25:00", "mode": "onsite", "place": "调解室", "minutes": "双方到场"})
    assert status == 422
    assert not Agreement.objects.filter(dispute=d).exists() and not d.sessions.exists()


def test_a_case_whose_deadline_moved_is_reported_overdue_again(make_dispute, city, mediators):
    d = make_dispute()
    start = timezone.now()
    services.perform_action(city.operator_a, d, "accept", now=start)
    assert sla.sweep(start + timedelta(days=25))["reminded"] == 1
    assert sla.sweep(start + timedelta(days=31))["overdue"] == 1
    later = start + timedelta(days=32)
    services.perform_action(city.operator_a, d, "change_channel", {"note": "转行政调解", "channel": "administrative"},
                            now=later)
    assert sla.sweep(later + timedelta(days=25))["reminded"] == 1
    assert sla.sweep(later + timedelta(days=31))["overdue"] == 1  # the new deadline gets its own notice
    assert d.log.filter(action="sla_overdue").count() == 2


def test_a_point_outside_the_registrars_area_is_refused(make_dispute, city):
    from gridgov.core.errors import ValidationFailed

    try:
        make_dispute(actor=city.worker_a, lng=116.105, lat=36.405)  # a point in 柳园, township B
    except ValidationFailed as exc:
        assert exc.fields["location"] == ["只能登记本辖区的纠纷"]
    else:
        raise AssertionError("a grid worker of 古楼 registered a dispute in 柳园")


def test_an_outcome_stays_with_the_mediator_who_mediated(make_dispute, city, mediators):
    a, c = mediators["a"], mediators["c"]
    d = make_dispute()
    _conclude(d, city, a, ok=True)
    services.perform_action(a.user, d, "follow_up", {"note": "回访：已履行", "satisfaction": "satisfied"})
    services.perform_action(city.operator_a, d, "close")
    services.perform_action(city.operator_a, d, "reopen", {"note": "一方反悔"})
    services.perform_action(city.operator_a, d, "assign", {"mediator": c.pk})
    services.perform_action(city.operator_a, d, "start")
    services.perform_action(city.operator_a, d, "fail", {"note": "未达成", "referral": "litigation"})
    sa, sc = stats(Mediator.objects.get(pk=a.pk)), stats(Mediator.objects.get(pk=c.pk))
    assert (sa.successes, sa.failures) == (1, 0)
    assert (sc.successes, sc.failures) == (0, 1)


def test_the_signed_copy_carries_phones_and_is_logged_and_other_copies_are_masked(make_dispute, city, mediators,
                                                                                   client):
    d = drive(make_dispute(), city, mediators, S.SUCCEEDED)
    client.force_login(city.leader_county)
    text = _text(client.get(reverse("disputes:agreement", args=[d.number])).content)
    assert "13800000001" not in text and "138****0001" in text
    assert not AccessLog.objects.exists()
    client.force_login(mediators["a"].user)
    text = _text(client.get(reverse("disputes:agreement", args=[d.number])).content)
    assert "13800000001" in text
    log = AccessLog.objects.get()
    assert (log.actor, log.model, log.object_label, log.reason) == (mediators["a"].user, "dispute", d.number,
                                                                    "打印人民调解协议书")


def test_the_confirmation_window_is_a_literal_thirty_days(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    services.perform_action(mediators["a"].user, d, "succeed", {**SUCCEED, "signed_on": "2026-11-20"})
    assert Agreement.objects.get(dispute=d).confirmation_last_day == date(2026, 12, 20)


def test_no_files_are_added_to_a_session_after_mediation(make_dispute, city, mediators, api, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.accounts.models import ApiToken

    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    services.perform_action(mediators["a"].user, d, "session", SESSION)
    session = d.sessions.get()
    services.perform_action(mediators["a"].user, d, "succeed", SUCCEED)
    _t, raw = ApiToken.issue(mediators["a"].user)
    png = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    r = client.post(f"/api/v1/disputes/{d.number}/sessions/{session.pk}/attachments", {"file": png},
                    headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 409 and not session.attachments.exists()


def test_timeline_labels_are_looked_up_per_field(make_dispute, city, mediators, client):
    d = make_dispute()
    services.perform_action(city.operator_a, d, "accept")
    services.perform_action(city.operator_a, d, "change_channel", {"note": "转行政调解", "channel": "administrative"})
    client.force_login(city.operator_a)
    page = client.get(reverse("disputes:detail", args=[d.number])).content.decode()
    assert "行政调解" in page and "行政裁决" not in page


def test_a_negative_offset_is_a_field_error(make_dispute, city, api):
    make_dispute()
    status, body = api("get", "/disputes?offset=-1&limit=5", city.operator_a)
    assert status == 422 and body["fields"]["offset"] == ["不能小于 0"]
    status, body = api("get", "/disputes?offset=0&limit=5", city.operator_a)
    assert status == 200 and body["count"] == 1
