"""The demo server does not leak database connections: gunicorn with a fixed pool of threads (each keeps at
most one persistent connection), and Django's development server, which starts a thread per request, keeps
none (measured numbers in docs/operations.md)."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

PROBE = ("import sys; sys.argv = {argv!r}; import gridgov.settings as s; d = s.DATABASES['default']; "
         "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])")


def _db_settings(argv, **env) -> tuple[int, bool]:
    full = {k: v for k, v in os.environ.items() if k not in ("GRIDGOV_CONN_MAX_AGE", "DATABASE_URL")}
    full.update({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/gridgov_probe", **env})
    r = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=settings.BASE_DIR, env=full,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    age, checks = r.stdout.split()
    return int(age), checks == "True"


def test_postgresql_connections_persist_with_a_health_check_in_a_real_server():
    assert _db_settings(["gunicorn"]) == (60, True)
    assert _db_settings(["manage.py", "petition_sweep"], GRIDGOV_CONN_MAX_AGE="30") == (30, True)


def test_the_development_server_keeps_no_connection_open():
    assert _db_settings(["manage.py", "runserver", "127.0.0.1:8000"]) == (0, True)


def test_the_demo_is_served_by_gunicorn_with_a_bounded_pool():
    script = (settings.BASE_DIR / "scripts" / "serve_demo.sh").read_text()
    processes = (settings.BASE_DIR / "scripts" / "processes.sh").read_text()
    assert "manage.py runserver" not in script.replace("`manage.py runserver`", "")
    assert ". scripts/processes.sh" in script and "start_web" in script
    command = processes[processes.index("-m gunicorn"):]
    assert "gridgov.wsgi:application" in command and "--worker-class gthread" in command
    workers = int(re.search(r"WEB_WORKERS=\$\{WEB_WORKERS:-(\d+)\}", script).group(1))
    threads = int(re.search(r"WEB_THREADS=\$\{WEB_THREADS:-(\d+)\}", script).group(1))
    assert '--workers "${WEB_WORKERS:-2}"' in command and '--threads "${WEB_THREADS:-4}"' in command
    assert workers * threads <= 16  # the most connections the web part can hold open
    pinned = (settings.BASE_DIR / "requirements.txt").read_text().splitlines()
    assert any(re.fullmatch(r"gunicorn==[\d.]+", line) for line in pinned)


@pytest.mark.parametrize("env, message", [
    ({"DATABASE_URL": "sqlite:///var/x.sqlite3", "REDIS_URL": "redis://127.0.0.1:6379/0"}, "PostgreSQL"),
    ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", "REDIS_URL": ""}, "Redis"),
])
def test_make_serve_refuses_the_embedded_database_and_a_missing_redis(env, message):
    r = subprocess.run(["sh", "scripts/serve.sh"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=30,
                       env={**os.environ, **env})
    assert r.returncode == 2 and message in r.stderr


def test_gunicorn_loads_the_application():
    from gunicorn.util import import_app

    assert callable(import_app("gridgov.wsgi:application"))
