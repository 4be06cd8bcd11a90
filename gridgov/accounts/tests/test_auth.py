"""API authentication order: no credentials or a bad bearer token → 401 (for POST too, before any CSRF
check); a session user on an unsafe method without a valid CSRF token → 403 csrf_failed; a bearer token is
never CSRF-checked."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import ApiToken

CSRF = "a" * 32  # a CSRF secret: the cookie and the header carry the same value

# (method, path, body) on several routers; POST bodies may be invalid: auth is decided before the body
GETS = ["/events", "/me", "/disputes", "/auth/tokens"]
POSTS = [
    ("/events", {"category": "0301", "description": "路面有大量垃圾未清理", "address": "古城路1号"}),
    ("/disputes", {}),
    ("/events/SJ2026010100001/actions/accept", {}),
]


@pytest.fixture
def strict():
    """A client that enforces CSRF like a browser-facing server does."""
    return Client(enforce_csrf_checks=True)


def _call(client, method, path, body=None, headers=None):
    kwargs = {"headers": headers or {}}
    if method == "post":
        kwargs.update(content_type="application/json", data=json.dumps(body or {}))
    resp = getattr(client, method)(f"/api/v1{path}", **kwargs)
    return resp.status_code, resp.json() if resp.content else None


@pytest.mark.parametrize("path", GETS)
def test_get_without_credentials_is_401(city, strict, path):
    status, body = _call(strict, "get", path)
    assert status == 401 and body["code"] == "unauthenticated" and body["message"]
    resp = strict.get(f"/api/v1{path}", headers={"Authorization": "Bearer gg_bad"})
    assert resp.status_code == 401 and resp["WWW-Authenticate"].startswith("Bearer")
    assert strict.get(f"/api/v1{path}")["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path,body", POSTS)
def test_post_without_credentials_is_401_not_a_csrf_403(city, strict, path, body):
    status, out = _call(strict, "post", path, body)
    assert status == 401, out
    assert out["code"] == "unauthenticated"


@pytest.mark.parametrize("method,path,body", [("get", p, None) for p in GETS] + [("post", p, b) for p, b in POSTS])
def test_a_bad_bearer_token_is_401_even_with_a_session(city, strict, method, path, body):
    headers = {"Authorization": "Bearer gg_not-a-real-token"}
    status, out = _call(strict, method, path, body, headers)
    assert status == 401 and out["code"] == "invalid_token"
    # a logged-in session does not rescue a request that names a bad token
    strict.force_login(city.operator_a)
    status, out = _call(strict, method, path, body, headers)
    assert status == 401 and out["code"] == "invalid_token"


def test_an_empty_bearer_token_is_401(city, strict):
    status, out = _call(strict, "post", "/events", {}, {"Authorization": "Bearer "})
    assert status == 401 and out["code"] == "invalid_token"


def test_an_expired_token_or_an_inactive_user_is_401(city, strict):
    _t, raw = ApiToken.issue(city.worker_a)
    ApiToken.objects.filter(user=city.worker_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    status, out = _call(strict, "get", "/me", headers={"Authorization": f"Bearer {raw}"})
    assert status == 401 and out["code"] == "invalid_token"
    _t, raw = ApiToken.issue(city.worker_a)
    assert _call(strict, "get", "/me", headers={"Authorization": f"Bearer {raw}"})[0] == 200
    city.worker_a.is_active = False
    city.worker_a.save()
    assert _call(strict, "get", "/me", headers={"Authorization": f"Bearer {raw}"})[0] == 401


@pytest.mark.parametrize("path,body", POSTS)
def test_a_session_post_without_csrf_is_403_csrf_failed(city, strict, path, body):
    strict.force_login(city.operator_a)
    status, out = _call(strict, "post", path, body)
    assert status == 403 and out["code"] == "csrf_failed", out
    assert "CSRF" in out["message"] and "请" in out["message"]  # a Chinese message


@pytest.mark.parametrize("path,body", POSTS)
def test_a_session_post_with_a_wrong_csrf_token_is_403(city, strict, path, body):
    strict.force_login(city.operator_a)
    strict.cookies["csrftoken"] = CSRF
    status, out = _call(strict, "post", path, body, {"X-CSRFToken": "b" * 32})
    assert status == 403 and out["code"] == "csrf_failed"


@pytest.mark.parametrize("path", GETS)
def test_a_session_get_needs_no_csrf_token(city, strict, path):
    strict.force_login(city.operator_a)
    status, out = _call(strict, "get", path)
    assert status == 200, out


def test_a_session_post_with_the_csrf_token_passes(city, strict):
    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    strict.force_login(city.worker_a)
    strict.cookies["csrftoken"] = CSRF
    status, out = _call(strict, "post", "/events", {**POSTS[0][1], "lng": 116.005, "lat": 36.405},
                        {"X-CSRFToken": CSRF})
    assert status == 201, out


def test_a_bearer_token_is_never_csrf_checked(city, strict):
    from gridgov.events.taxonomy import install_default_categories

    install_default_categories()
    _t, raw = ApiToken.issue(city.worker_a)
    strict.cookies["csrftoken"] = CSRF  # a CSRF cookie without the header: would fail a session request
    status, out = _call(strict, "post", "/events", {**POSTS[0][1], "lng": 116.005, "lat": 36.405},
                        {"Authorization": f"Bearer {raw}"})
    assert status == 201, out


def test_another_authorization_scheme_falls_back_to_the_session(city, strict):
    """A proxy's Basic credentials are not a bad token: the session decides."""
    headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert _call(strict, "get", "/me", headers=headers)[0] == 401
    strict.force_login(city.operator_a)
    status, out = _call(strict, "get", "/me", headers=headers)
    assert status == 200 and out["username"] == "op_a"
