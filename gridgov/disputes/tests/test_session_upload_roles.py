"""Uploading to a mediation session: the person is checked before the state — someone who may never
record sessions (a leader, the grid worker who registered the case) gets 403 in every state; the right
person in the wrong state gets 409."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.models import ApiToken
from gridgov.disputes import services

from .test_workflow import SESSION, SUCCEED, S, drive

# a real 1×1 PNG (so a content check or re-encoding accepts it)
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def _upload(client, user, d, session):
    _t, raw = ApiToken.issue(user)
    f = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    r = client.post(f"/api/v1/disputes/{d.number}/sessions/{session.pk}/attachments", {"file": f},
                    headers={"Authorization": f"Bearer {raw}"})
    return r.status_code, r.json()


@pytest.fixture
def in_mediation(make_dispute, city, mediators):
    d = drive(make_dispute(), city, mediators, S.MEDIATING)
    services.perform_action(mediators["a"].user, d, "session", SESSION)
    return d, d.sessions.get()


def test_a_leader_gets_403_while_uploads_are_allowed(in_mediation, city, client):
    d, session = in_mediation
    status, body = _upload(client, city.leader_county, d, session)
    assert status == 403 and body["code"] == "not_permitted"
    assert not session.attachments.exists()


def test_a_leader_gets_403_not_409_after_mediation(in_mediation, city, mediators, client):
    d, session = in_mediation
    services.perform_action(mediators["a"].user, d, "succeed", SUCCEED)
    for outsider in (city.leader_county, city.worker_a):  # a leader who reads it; the worker who registered it
        status, body = _upload(client, outsider, d, session)
        assert status == 403 and body["code"] == "not_permitted", (outsider, body)
    # the mediator, in the wrong state: 409
    status, body = _upload(client, mediators["a"].user, d, session)
    assert status == 409
    assert not session.attachments.exists()


def test_the_mediator_uploads_during_mediation(in_mediation, mediators, client):
    d, session = in_mediation
    status, body = _upload(client, mediators["a"].user, d, session)
    assert status == 201, body
    assert session.attachments.count() == 1


def test_event_uploads_check_the_person_before_the_state(city, client):
    """The same order on events: a leader gets 403 on a closed case, its reporter 409."""
    from gridgov.events import services as events
    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    e, _ = events.create_event(city.worker_a, events.EventInput(category="0301", description="路面有大量垃圾未清理",
                                                                lng=116.005, lat=36.405))
    events.perform_action(city.operator_a, e, "reject", {"note": "不属于受理范围"})

    def upload(user):
        _t, raw = ApiToken.issue(user)
        f = SimpleUploadedFile("a.png", PNG, content_type="image/png")
        return client.post(f"/api/v1/events/{e.number}/attachments", {"file": f},
                           headers={"Authorization": f"Bearer {raw}"})

    r = upload(city.leader_county)
    assert r.status_code == 403 and r.json()["code"] == "not_permitted"
    r = upload(city.worker_a)
    assert r.status_code == 409 and r.json()["code"] == "closed"
