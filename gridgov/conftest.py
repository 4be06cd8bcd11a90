import pytest

from gridgov.core.testing import make_city


@pytest.fixture
def city(db):
    return make_city()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV = {**settings.GRIDGOV, "NOTIFY_BACKENDS": "console", "NOTIFY_FILE": str(tmp_path / "n.jsonl")}
