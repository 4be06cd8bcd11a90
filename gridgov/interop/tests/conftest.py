import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gridgov.events import services
from gridgov.events.models import Category
from gridgov.events.taxonomy import install_default_categories
from gridgov.interop.models import Subscription

SECRET = "s3cret-for-tests"


class Receiver:
    """A department's system on 127.0.0.1: records every request; answers 500 while ``failing``; ``stop()``
    makes the port refuse connections until ``start()`` binds it again."""

    def __init__(self):
        self.requests = []  # (delivery id, status answered, headers, body)
        self.failing = False
        self.delay = 0.0
        self.lock = threading.Lock()
        self.port = 0
        self.server = None
        self.start()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    import time

                    time.sleep(receiver.delay)
                status = 500 if receiver.failing else 200
                with receiver.lock:
                    receiver.requests.append((self.headers.get("X-Gridgov-Delivery"), status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[str]:
        return [rid for rid, status, _h, _b in self.requests if status == 200]

    def bodies(self) -> list[dict]:
        return [json.loads(b) for _i, status, _h, b in self.requests if status == 200]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def cats(city):
    install_default_categories()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def subscribe(city, receiver):
    def _subscribe(department=None, **kw):
        sub = Subscription(department=department or city.dept_cg, url=kw.pop("url", receiver.url), **kw)
        sub.secret = SECRET
        sub.save()
        return sub

    return _subscribe


@pytest.fixture
def dispatched(city, cats):
    """A new event in township A, accepted and dispatched to 城管 (lead), optionally with assisting departments."""

    def _dispatched(assisting=(), now=None):
        data = services.EventInput(category="0301", description="路面有大量垃圾未清理", lng=116.005, lat=36.405,
                                   address="古城路1号")
        event, _ = services.create_event(city.worker_a, data, now=now)
        services.perform_action(city.operator_a, event, "accept", {}, now=now)
        services.perform_action(city.operator_a, event, "dispatch",
                                {"lead_department": "CG", "assisting_departments": list(assisting)}, now=now)
        event.refresh_from_db()
        return event

    return _dispatched
