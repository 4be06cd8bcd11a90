import json

import pytest
from django.core.cache import cache

from gridgov.accounts.models import ApiToken
from gridgov.core import memo
from gridgov.regions import spatial
from gridgov.testing import make_city


@pytest.fixture
def city(db):
    return make_city()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # hashing with PBKDF2's full work factor costs ~0.3 s a user; tests need no protection
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()  # rate-limit counters and the like must not leak between tests
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "console", "NOTIFY_FILE": str(tmp_path / "n.jsonl")}


@pytest.fixture(autouse=True)
def _fresh_grid_caches():
    """Every test starts and ends with no grid index, outlines or version stamp in this process: the stamp is
    trusted for GRID_STAMP_TTL_S and a rolled-back test's grids must never answer the next test's lookups; the
    same for the rows kept by key (gridgov.core.memo)."""
    spatial.invalidate_all()
    memo.clear_all()
    yield
    spatial.invalidate_all()
    memo.clear_all()


@pytest.fixture
def api_response(client):
    """A request to the ninja API (``/api/v1`` + ``path``) through the test client; the response.

    As ``user`` when one is given (a bearer token issued for this call). ``body`` goes as JSON;
    ``headers`` are added to the request; anything else (``data=``, ``content_type=``, ``REMOTE_ADDR=``)
    is handed to the client as it is and wins over the JSON defaults."""

    def call(method, path, user=None, body=None, headers=None, **extra):
        headers = dict(headers or {})
        if user is not None:
            _t, raw = ApiToken.issue(user)
            headers["Authorization"] = f"Bearer {raw}"
        kwargs = {"content_type": "application/json", "headers": headers}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        kwargs.update(extra)
        return getattr(client, method)(f"/api/v1{path}", **kwargs)

    return call


@pytest.fixture
def api(api_response):
    """``api(method, path, user=None, body=None, headers=None, **extra)`` -> ``(status, body)``: the
    decoded JSON, None for an empty response, the response itself for anything else (a document)."""

    def call(*args, **kwargs):
        resp = api_response(*args, **kwargs)
        if resp.streaming:
            return resp.status_code, resp
        if not resp.content:
            return resp.status_code, None
        return resp.status_code, (resp.json() if "json" in resp.get("Content-Type", "") else resp)

    return call
