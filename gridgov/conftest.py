import pytest
from django.core.cache import cache

from gridgov.core.testing import make_city


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
