"""The administrators' subscription page: actions ticked by their Chinese labels, the secret shown once."""

from django.contrib.messages import get_messages

from gridgov.interop.models import Subscription


def test_a_subscription_is_made_by_ticking_actions_and_its_secret_is_shown_once(city, client):
    client.force_login(city.admin)
    page = client.get("/admin/interop/subscription/add/")
    html = page.content.decode()
    assert page.status_code == 200 and "派遣（dispatch）" in html and 'type="checkbox"' in html
    assert "sla_escalate" not in html  # the system's escalations are not offered
    resp = client.post("/admin/interop/subscription/add/", {
        "department": city.dept_cg.pk, "name": "城管业务系统", "url": "http://127.0.0.1:9/hook",
        "actions": ["dispatch", "verify_pass"], "active": "on"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    sub = Subscription.objects.get()
    assert sub.actions == ["dispatch", "verify_pass"] and len(sub.secret) >= 32
    shown = [str(m) for m in get_messages(resp.wsgi_request)]
    assert any(sub.secret in m for m in shown)
    client.get("/admin/interop/subscription/")  # the message is read (and gone) here
    # editing it later keeps the secret and shows it no more
    resp = client.post(f"/admin/interop/subscription/{sub.pk}/change/", {
        "department": city.dept_cg.pk, "name": "城管业务系统", "url": "http://127.0.0.1:9/hook", "actions": [],
        "active": "on"})
    assert resp.status_code == 302
    again = Subscription.objects.get()
    assert again.secret == sub.secret and again.wanted_actions()[0] == "dispatch"
    assert not any(sub.secret in str(m) for m in get_messages(resp.wsgi_request))


def test_an_unknown_action_is_refused_with_a_field_error(city, client):
    client.force_login(city.admin)
    resp = client.post("/admin/interop/subscription/add/", {
        "department": city.dept_cg.pk, "name": "x", "url": "http://127.0.0.1:9/hook", "actions": ["explode"]})
    assert resp.status_code == 200 and not Subscription.objects.exists()
    assert "explode" in resp.context["adminform"].form.errors["actions"][0]
