"""`make demo` says the address it really serves, once the server answers there (scripts/demo_address.py,
called by scripts/serve_demo.sh), refuses a port already taken, and the site has a favicon."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

SCRIPT = settings.BASE_DIR / "scripts" / "demo_address.py"


def _run(*args, timeout=60):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def listening():
    """A socket listening on a free port of 127.0.0.1 (what a started web server looks like)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_address_printed_is_the_port_given_once_it_answers(listening):
    r = _run("wait", "127.0.0.1", listening, 1)  # pid 1 is alive
    assert r.returncode == 0
    assert f"http://127.0.0.1:{listening}/" in r.stdout and ":8000" not in r.stdout


def test_a_wildcard_host_is_printed_as_an_address_a_browser_opens(listening):
    r = _run("wait", "0.0.0.0", listening, 1)
    assert r.returncode == 0 and f"http://127.0.0.1:{listening}/" in r.stdout


def test_no_address_is_printed_when_the_server_died_before_answering():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    r = _run("wait", "127.0.0.1", _free_port(), dead.pid)
    assert r.returncode == 1 and "http://" not in r.stdout and "未能" in r.stderr


def test_a_taken_port_is_refused_before_anything_starts(listening):
    r = _run("free", "127.0.0.1", listening)
    assert r.returncode == 1 and f"端口 {listening} 已被占用" in r.stderr and f"PORT={listening + 1}" in r.stderr
    assert _run("free", "127.0.0.1", _free_port()).returncode == 0


def test_serve_demo_prints_the_address_from_the_running_server():
    script = (settings.BASE_DIR / "scripts" / "serve_demo.sh").read_text()
    assert 'demo_address.py free "$HOST" "$PORT" || exit 1' in script
    assert 'demo_address.py wait "$HOST" "$PORT" "$web"' in script
    assert script.index("demo_address.py free") < script.index("start_background")  # checked before anything starts
    assert "serving http://" not in script  # no address announced before the server answers


def test_favicon_is_served_at_the_root_and_linked_from_every_page(db):
    r = Client().get("/favicon.ico")
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = Client().get("/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page and "favicon.svg" in page
    assert Client().get("/static/favicon.svg").status_code == 200
