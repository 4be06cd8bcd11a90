"""Owners list and revoke their API tokens; a new password (any way it is set) revokes them all."""

import io
import json

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.core.management import call_command

from gridgov.accounts.models import ApiToken, User
from gridgov.testing import PASSWORD


class OlderMD5PasswordHasher(MD5PasswordHasher):
    """Stands for an outdated hasher: a login re-hashes its passwords with the preferred one."""

    algorithm = "md5_old"


def _login(client, username="worker_a", agent="gridgov-android/1.0"):
    resp = client.post("/api/v1/auth/token", data=json.dumps({"username": username, "password": PASSWORD}),
                       content_type="application/json", headers={"User-Agent": agent})
    assert resp.status_code == 200, resp.content
    return resp.json()["token"]


def _get(client, path, raw):
    resp = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {raw}"})
    return resp.status_code, resp.json() if resp.content else None


def _delete(client, path, raw):
    resp = client.delete(f"/api/v1{path}", headers={"Authorization": f"Bearer {raw}"})
    return resp.status_code, resp.json() if resp.content else None


def test_the_owner_lists_their_tokens_without_their_values(city, client):
    phone = _login(client, agent="gridgov-android/1.0")
    tablet = _login(client, agent="gridgov-ipad/2.0")
    other = _login(client, username="worker_b")
    status, rows = _get(client, "/auth/tokens", phone)
    assert status == 200 and len(rows) == 2
    assert {r["user_agent"] for r in rows} == {"gridgov-android/1.0", "gridgov-ipad/2.0"}
    assert [r["current"] for r in rows if r["user_agent"] == "gridgov-android/1.0"] == [True]
    assert [r["current"] for r in rows if r["user_agent"] == "gridgov-ipad/2.0"] == [False]
    text = json.dumps(rows)
    for raw in (phone, tablet, other):
        assert raw not in text and raw[3:11] not in text  # neither the value nor its prefix
    assert all(r["last_used_at"] for r in rows if r["current"]) and all(r["expires_at"] for r in rows)
    assert set(rows[0]) == {"id", "name", "user_agent", "created_at", "last_used_at", "expires_at", "current"}


def test_logging_out_this_device_revokes_only_its_token(city, client):
    phone, tablet = _login(client), _login(client)
    assert _delete(client, "/auth/token", phone) == (204, None)
    status, body = _get(client, "/me", phone)
    assert status == 401 and body["code"] == "invalid_token"
    assert _get(client, "/me", tablet)[0] == 200
    assert ApiToken.objects.filter(user=city.worker_a).count() == 1


def test_a_session_has_no_token_to_log_out(city, client):
    client.force_login(city.worker_a)
    _login(client)
    resp = client.delete("/api/v1/auth/token")
    assert resp.status_code == 409 and resp.json()["code"] == "not_token_auth"
    assert ApiToken.objects.filter(user=city.worker_a).count() == 1


def test_revoking_another_device_and_never_another_users_token(city, client):
    phone, tablet = _login(client), _login(client)
    theirs = _login(client, username="worker_b")
    their_id = ApiToken.objects.get(user=city.worker_b).pk
    status, body = _delete(client, f"/auth/tokens/{their_id}", phone)
    assert status == 404 and body["code"] == "not_found"
    assert _get(client, "/me", theirs)[0] == 200  # untouched
    tablet_id = [r["id"] for r in _get(client, "/auth/tokens", phone)[1] if not r["current"]][0]
    assert _delete(client, f"/auth/tokens/{tablet_id}", phone) == (204, None)
    assert _get(client, "/me", tablet)[0] == 401
    assert _get(client, "/me", phone)[0] == 200
    assert _delete(client, f"/auth/tokens/{tablet_id}", phone)[0] == 404  # already gone
    assert _delete(client, "/auth/tokens/0", phone)[0] == 422  # not an id


def test_expired_tokens_are_not_listed(city, client):
    from datetime import timedelta

    from django.utils import timezone

    phone = _login(client)
    old, _raw = ApiToken.issue(city.worker_a)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    rows = _get(client, "/auth/tokens", phone)[1]
    assert old.pk not in [r["id"] for r in rows] and len(rows) == 1


def test_set_password_revokes_every_token(city, client):
    phone, tablet = _login(client), _login(client)
    theirs = _login(client, username="worker_b")
    user = User.objects.get(username="worker_a")
    user.set_password("Another-pass-2026")
    user.save()
    assert _get(client, "/me", phone)[0] == 401 and _get(client, "/me", tablet)[0] == 401
    assert _get(client, "/me", theirs)[0] == 200
    assert not ApiToken.objects.filter(user=user).exists()


def test_assigning_a_password_hash_directly_revokes_too(city, client):
    phone = _login(client)
    user = User.objects.get(username="worker_a")
    user.password = make_password("Another-pass-2026")
    user.save()
    assert _get(client, "/me", phone)[0] == 401


def test_saving_a_user_without_a_new_password_keeps_the_tokens(city, client):
    phone = _login(client)
    user = User.objects.get(username="worker_a")
    user.full_name = "新名字"
    user.save()
    user.save(update_fields=["last_login"])
    assert _get(client, "/me", phone)[0] == 200


def test_changepassword_command_revokes_tokens(city, client, monkeypatch):
    phone = _login(client)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Another-pass-2026")
    call_command("changepassword", "worker_a", stdout=io.StringIO())
    assert User.objects.get(username="worker_a").check_password("Another-pass-2026")
    assert _get(client, "/me", phone)[0] == 401


def test_the_admin_password_form_revokes_tokens(city, client):
    phone = _login(client)
    admin = Client_logged_in(city.admin)
    resp = admin.post(f"/admin/accounts/user/{city.worker_a.pk}/password/",
                      {"password1": "Another-pass-2026", "password2": "Another-pass-2026", "usable_password": "true"})
    assert resp.status_code == 302, resp.content[:2000]
    assert User.objects.get(username="worker_a").check_password("Another-pass-2026")
    assert _get(client, "/me", phone)[0] == 401


def test_an_unusable_password_revokes_tokens(city, client):
    phone = _login(client)
    user = User.objects.get(username="worker_a")
    user.set_unusable_password()
    user.save()
    assert _get(client, "/me", phone)[0] == 401


def test_rehashing_the_same_password_at_login_keeps_the_tokens(city, client, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.OlderMD5PasswordHasher"]
    user = User.objects.get(username="worker_a")
    user.set_password(PASSWORD)
    user.save()
    phone = _login(client)  # stored with the "old" hasher
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", f"{__name__}.OlderMD5PasswordHasher"]
    _login(client)  # the login re-hashes the password with the preferred hasher
    assert User.objects.get(username="worker_a").password.startswith("md5$")
    assert _get(client, "/me", phone)[0] == 200


def test_deactivating_a_user_stops_their_tokens(city, client):
    phone = _login(client)
    User.objects.filter(username="worker_a").update(is_active=False)
    assert _get(client, "/me", phone)[0] == 401


def Client_logged_in(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("path", ["/auth/tokens", "/auth/token", "/auth/tokens/1"])
def test_token_endpoints_need_credentials(city, client, path):
    method = "get" if path == "/auth/tokens" else "delete"
    resp = getattr(client, method)(f"/api/v1{path}")
    assert resp.status_code == 401


def test_saving_other_fields_of_a_user_with_a_new_unsaved_password_keeps_the_tokens(city, client):
    phone = _login(client)
    user = User.objects.get(username="worker_a")
    user.set_password("Another-pass-2026")
    user.save(update_fields=["full_name"])  # the new password is not written
    assert _get(client, "/me", phone)[0] == 200
    user.save(update_fields=["password"])
    assert _get(client, "/me", phone)[0] == 401


def test_a_token_used_again_within_the_minute_is_not_written_again(city, client, django_assert_num_queries):
    token, raw = ApiToken.issue(city.worker_a)
    assert ApiToken.lookup(raw).last_used_at is not None
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    with django_assert_num_queries(1):  # the SELECT; no UPDATE
        assert ApiToken.lookup(raw) is not None
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_a_token_used_after_the_minute_records_the_new_use(city, client):
    token, raw = ApiToken.issue(city.worker_a)
    long_ago = ApiToken.LAST_USE_RESOLUTION * 2
    from django.utils import timezone

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - long_ago)
    ApiToken.lookup(raw)
    assert timezone.now() - ApiToken.objects.get(pk=token.pk).last_used_at < ApiToken.LAST_USE_RESOLUTION
