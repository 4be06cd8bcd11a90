"""An event's log in /admin/ shows the actions and statuses by their Chinese names, not their codes."""

from django.utils import timezone

from gridgov.events import services
from gridgov.events.models import Event


def test_the_event_log_inline_shows_action_and_status_names(city, report, client):
    e = report(now=timezone.now())
    services.perform_action(city.operator_a, Event.objects.get(pk=e.pk), "accept", {})
    client.force_login(city.admin)
    body = client.get(f"/admin/events/event/{e.pk}/change/").content.decode()
    inline = body[body.index('id="log-group"'):] if 'id="log-group"' in body else body
    assert "上报" in inline and "受理" in inline and "待受理" in inline and "已受理" in inline
    for code in ("report", "accept", "reported", "accepted"):
        assert f'<p>{code}</p>' not in body and f">{code}<" not in body, code
