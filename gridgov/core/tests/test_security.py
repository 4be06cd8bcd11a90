"""Content-Security-Policy on every response (no 'unsafe-inline'), no inline script/style/handler in any
template, and production settings that `manage.py check --deploy` finds nothing to say about."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from gridgov.core.security import build_policy, tile_origin

FERNET_KEY = "ZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWRiZWVmZmRlYWQ="


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", ["/accounts/login/", "/citizen/report/", "/citizen/track/", "/api/v1/docs",
                                  "/api/v1/openapi.json", "/api/v1/events", "/no-such-page/"])
def test_every_response_carries_a_policy_without_unsafe_inline(db, client, path):
    resp = client.get(path)
    header = resp["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    d = _directives(header)
    assert d["default-src"] == ["'self'"] and d["script-src"] == ["'self'"] and d["style-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]
    assert d["base-uri"] == ["'self'"] and d["form-action"] == ["'self'"] and d["connect-src"] == ["'self'"]
    assert set(d["img-src"]) == {"'self'", "data:", "blob:"}


def test_the_tile_server_may_serve_images(db, client, settings):
    settings.GRIDGOV = {**settings.GRIDGOV, "TILE_URL": "https://{s}.tiles.example.cn:8443/{z}/{x}/{y}.png"}
    d = _directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert "https://*.tiles.example.cn:8443" in d["img-src"]
    assert d["script-src"] == ["'self'"] and d["connect-src"] == ["'self'"]  # images only


def test_tile_origins():
    assert tile_origin("http://127.0.0.1:8080/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    assert tile_origin("/tiles/{z}/{x}/{y}.png") == ""  # this server: 'self' already
    assert tile_origin("") == "" and tile_origin("javascript:alert(1)") == ""
    assert "img-src 'self' data: blob:;" in build_policy("")


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "gridgov"]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def _templates():
    import ninja

    found = [p for d in TEMPLATE_DIRS for p in d.rglob("templates/**/*.html")]
    found += list((Path(ninja.__file__).parent / "templates").rglob("*.html"))
    return found


def test_no_template_has_an_inline_script_handler_or_style():
    templates = _templates()
    assert len(templates) > 50
    offenders = []
    for path in templates:
        if path.name in ("redoc.html", "redoc_cdn.html", "swagger_cdn.html"):  # ninja's, not served here
            continue
        text = path.read_text(encoding="utf-8")
        for name, pattern in (("inline script", INLINE_SCRIPT), ("event handler", HANDLER),
                              ("style attribute", STYLE_ATTR), ("style element", STYLE_ELEMENT)):
            if pattern.search(text):
                offenders.append(f"{path}: {name}")
    assert not offenders, "\n".join(offenders)


def test_the_scanner_would_see_them():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") and not INLINE_SCRIPT.search('<script src="/a.js">')
    assert HANDLER.search('<button onclick="x()">') and STYLE_ATTR.search('<span style="width: 5%">')
    assert STYLE_ELEMENT.search("<style>body{}</style>")


# --- production ---------------------------------------------------------------------------------------


def _production_env(**extra) -> dict:
    # a clean deployment's environment: nothing of the test run's (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for the session, which check --deploy rightly reports)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GRIDGOV_", "SECURE_", "DJANGO_")) and k not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
                                                                                 "DATABASE_URL")}
    env.update({
        "GRIDGOV_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48)[:50],
        "GRIDGOV_FIELD_KEY": FERNET_KEY,
        "GRIDGOV_HASH_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "gridgov.example.cn,testserver",
        "GRIDGOV_DATA_DIR": os.environ.get("GRIDGOV_DATA_DIR", str(Path(settings.DATA_DIR))),
    })
    env.update(extra)
    return env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_reports_nothing_in_production():
    r = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "System check identified no issues (0 silenced)." in r.stdout


def test_check_deploy_would_see_hsts_turned_off():
    """The test above is not vacuous: without HSTS the same command warns."""
    r = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
             _production_env(GRIDGOV_HSTS_SECONDS="0", GRIDGOV_SSL_REDIRECT="0"))
    assert r.returncode != 0 and "security.W004" in r.stderr + r.stdout and "security.W008" in r.stderr + r.stdout


PROBE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
django.setup()
from django.test import Client
c = Client()
plain = c.get("/accounts/login/")
secure = c.get("/accounts/login/", secure=True)
proxied = c.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
print("plain", plain.status_code, plain.get("Location", ""))
print("hsts", secure.get("Strict-Transport-Security", ""))
print("csp", secure.get("Content-Security-Policy", ""))
print("cookie", secure.cookies["csrftoken"]["secure"] if "csrftoken" in secure.cookies else "none")
print("proxied", proxied.status_code)
"""


def test_production_redirects_to_https_and_sends_hsts_and_the_policy():
    r = _run(["-c", PROBE], _production_env())
    assert r.returncode == 0, r.stderr
    out = dict(line.split(" ", 1) for line in r.stdout.strip().splitlines())
    assert out["plain"] == "301 https://testserver/accounts/login/"
    assert out["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in out["csp"] and "unsafe-inline" not in out["csp"]
    assert out["cookie"] == "True"  # the CSRF cookie only over https
    assert out["proxied"].startswith("301")  # no proxy header configured: X-Forwarded-Proto is not trusted


def test_behind_a_proxy_the_configured_header_marks_https():
    r = _run(["-c", PROBE], _production_env(GRIDGOV_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
                                            GRIDGOV_HSTS_SECONDS="600"))
    assert r.returncode == 0, r.stderr
    out = dict(line.split(" ", 1) for line in r.stdout.strip().splitlines())
    assert out["proxied"] == "200"
    assert out["hsts"] == "max-age=600; includeSubDomains; preload"
