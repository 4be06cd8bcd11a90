"""Client applications' keys: stored as a keyed hash only, shown once, issued by the command and the admin."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gridgov.open311.models import ClientApplication


def test_only_the_keyed_hash_and_a_prefix_are_stored(db):
    app, raw = ClientApplication.issue("随手拍")
    assert raw.startswith("o311_") and len(raw) > 40
    assert raw not in str(ClientApplication.objects.values().get())
    assert raw.startswith(app.prefix) and len(app.prefix) < 15
    assert ClientApplication.authenticate(raw) == app
    assert ClientApplication.authenticate(raw + "x") is None


def test_the_command_prints_a_working_key_once(db):
    out = StringIO()
    call_command("open311_key", "create", "--name", "某区随手拍", "--rate-limit", "50", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    app = ClientApplication.authenticate(raw)
    assert app.name == "某区随手拍" and app.rate_limit_per_hour == 50
    listing = StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert app.prefix in listing.getvalue() and raw not in listing.getvalue()


def test_renewing_a_key_retires_the_old_one_and_deactivating_stops_the_new(db):
    app, old = ClientApplication.issue("随手拍")
    out = StringIO()
    call_command("open311_key", "renew", "--prefix", app.prefix, stdout=out, stderr=StringIO())
    new = out.getvalue().strip()
    assert ClientApplication.authenticate(old) is None and ClientApplication.authenticate(new) is not None
    call_command("open311_key", "deactivate", "--prefix", ClientApplication.objects.get().prefix, stdout=StringIO())
    assert ClientApplication.authenticate(new) is None


def test_the_command_refuses_a_create_without_a_name(db):
    with pytest.raises(CommandError):
        call_command("open311_key", "create", stdout=StringIO(), stderr=StringIO())


def _shown_keys(resp) -> list[str]:
    return re.findall(r'class="open311-key">(o311_[\w-]+)<', resp.content.decode())


def test_an_administrator_sees_the_key_once_when_adding_an_application(client, city):
    client.force_login(city.admin)
    resp = client.post("/admin/open311/clientapplication/add/",
                       {"name": "热线系统", "contact": "李工", "active": "on", "rate_limit_per_hour": "30"})
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    (raw,) = _shown_keys(resp)
    app = ClientApplication.authenticate(raw)
    assert app.name == "热线系统" and app.created_by == city.admin
    for page in (f"/admin/open311/clientapplication/{app.pk}/change/", "/admin/open311/clientapplication/"):
        text = client.get(page).content.decode()
        assert raw not in text and app.prefix in text
    assert raw not in str(client.cookies)


def test_the_admin_action_renews_keys_and_shows_them_once(client, city):
    app, old = ClientApplication.issue("随手拍")
    client.force_login(city.admin)
    resp = client.post("/admin/open311/clientapplication/",
                       {"action": "renew_key", "_selected_action": [app.pk]})
    (new,) = _shown_keys(resp)
    assert ClientApplication.authenticate(old) is None and ClientApplication.authenticate(new) == app


def test_the_admins_service_attribute_form_checks_list_values(client, city):
    from gridgov.events.models import Category
    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    client.force_login(city.admin)
    leaf = Category.objects.get(code="0301")
    resp = client.post("/admin/open311/serviceattribute/add/", {
        "category": leaf.pk, "code": "blocked", "datatype": "singlevaluelist", "description": "是否影响通行",
        "order": 1, "values": "[]", "active": "on"})
    assert resp.status_code == 200 and "单选/多选需填写可选值列表" in resp.content.decode()
