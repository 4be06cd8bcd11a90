"""Production mode refuses to start with the development key."""

import os
import subprocess
import sys

from django.conf import settings


def _import_settings(env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "GRIDGOV_ENV", "GRIDGOV_FIELD_KEY", "GRIDGOV_HASH_KEY")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", "import gridgov.settings"], cwd=settings.BASE_DIR, env=full,
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_the_default_key():
    r = _import_settings({"GRIDGOV_ENV": "production"})
    assert r.returncode != 0 and "SECRET_KEY" in r.stderr


def test_production_refuses_a_short_key():
    r = _import_settings({"GRIDGOV_ENV": "production", "SECRET_KEY": "short"})
    assert r.returncode != 0 and "SECRET_KEY" in r.stderr


def test_production_refuses_to_run_without_the_personal_data_keys():
    r = _import_settings({"GRIDGOV_ENV": "production", "SECRET_KEY": "k" * 50})
    assert r.returncode != 0 and "GRIDGOV_FIELD_KEY" in r.stderr


def test_production_starts_with_real_keys():
    r = _import_settings({"GRIDGOV_ENV": "production", "SECRET_KEY": "k" * 50,
                          "GRIDGOV_FIELD_KEY": "ZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWQ=", "GRIDGOV_HASH_KEY": "h" * 40})
    assert r.returncode == 0, r.stderr


def test_development_defaults_need_no_environment():
    r = _import_settings({})
    assert r.returncode == 0, r.stderr
