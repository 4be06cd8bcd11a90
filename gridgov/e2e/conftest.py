"""Fixtures for the end-to-end tests: the system Chromium driven by Playwright against ``live_server``.

* ``browser`` (session): headless Chromium from ``/usr/bin/chromium`` (or ``$GRIDGOV_CHROMIUM``),
  never one of Playwright's downloaded browsers.  When the executable is missing or the
  ``playwright`` package cannot be imported, every test in this directory is skipped with the reason.
* ``pages`` (per test): opens pages in separate browser contexts (one per person, so each has its
  own session cookie), phone- or desktop-sized, all pointing at the live server.  Every request to
  anything but 127.0.0.1/localhost is aborted and recorded, as are JavaScript errors and failed
  sub-resources (scripts, styles, images, XHR); ``pages.assert_clean()`` fails on any of them.
* Screenshots go to ``$GRIDGOV_E2E_SHOTS`` when it is set (``pages.shot(page, "name")``).

The live server binds 127.0.0.1 (``--liveserver`` / ``DJANGO_LIVE_TEST_SERVER_ADDRESS`` still win).
Its data must be created inside the test: ``live_server`` implies the transactional database.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gridgov.testing import PASSWORD

HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TIMEOUT_MS = 15_000

# the live server on the IPv4 loopback address (pytest-django's default is "localhost")
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def chromium_path() -> str:
    return os.environ.get("GRIDGOV_CHROMIUM") or DEFAULT_CHROMIUM


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"end-to-end browser tests skipped: {path} not found (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install (missing driver, greenlet)
        return f"end-to-end browser tests skipped: the playwright package cannot be imported ({exc})"
    return None


def _is_e2e(item) -> bool:
    try:
        return Path(str(item.path)).resolve().is_relative_to(HERE)
    except (OSError, ValueError):
        return False


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the whole session's items: touch only the ones in this directory.
    ours = [item for item in items if _is_e2e(item)]
    if not ours:
        return
    reason = unavailable_reason()
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in ours:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _playwright():
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django's
    # async-safety check refuse ORM calls from the test; the test itself is plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=os.environ.get("GRIDGOV_E2E_HEADED") != "1",
        args=CHROMIUM_ARGS,
    )
    yield browser
    browser.close()


class Pages:
    """Browser contexts for one test, with the checks every page gets."""

    def __init__(self, browser, base_url: str, test_name: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts: list = []
        self.blocked: list[str] = []  # requests to anything but the live server
        self.problems: list[str] = []  # JS errors, failed scripts/styles/images/XHR
        shots = os.environ.get("GRIDGOV_E2E_SHOTS", "").strip()
        self.shots_dir = Path(shots) if shots else None
        self.shot_prefix = re.sub(r"[^\w.-]+", "_", test_name)[:80]
        self.shot_count = 0
        self.shots: list[Path] = []

    def open(self, who: str, *, phone: bool = False):
        """A new page in its own context (its own cookies) for ``who``."""
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=False,
            service_workers="block",
            **(PHONE if phone else DESKTOP),
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._route)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"{who}: JavaScript error: {exc}"))
        page.on("console", lambda msg: self._console(who, msg))
        page.on("response", lambda resp: self._response(who, resp))
        page.on("requestfailed", lambda req: self._failed(who, req))
        return page

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _console(self, who, msg):
        # "Failed to load resource" duplicates what _response records (with the URL)
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.problems.append(f"{who}: console error: {msg.text}")

    def _response(self, who, response):
        # a page may be a 404 on purpose; what it loads must not be
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{who}: {response.status} for {response.request.resource_type} {response.url}")

    def _failed(self, who, request):
        failure = request.failure or ""
        # ERR_ABORTED: the page navigated away while something (a lazy image, htmx) was loading
        if request.url not in self.blocked and "ERR_ABORTED" not in failure:
            self.problems.append(f"{who}: request failed: {request.url} ({request.failure})")

    def login(self, page, username: str, password: str = PASSWORD) -> None:
        """Sign in through the login page and wait for the role's home page."""
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def menu(self, page):
        """The main nav, opened first on a phone (where it sits behind the 菜单 toggle)."""
        toggle = page.locator("label.nav-toggle")
        if toggle.is_visible() and not page.locator("#nav-open").is_checked():
            toggle.click()
        return page.get_by_role("navigation", name="主导航")

    def shot(self, page, name: str) -> Path | None:
        """A full-page screenshot into $GRIDGOV_E2E_SHOTS (nothing when it is unset)."""
        if self.shots_dir is None:
            return None
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        self.shot_count += 1
        path = self.shots_dir / f"{self.shot_prefix}-{self.shot_count:02d}-{name}.png"
        # from the top: scrolled, the sticky header would be painted across the middle of the capture
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def assert_clean(self) -> None:
        assert not self.blocked, f"pages tried to reach the network: {self.blocked}"
        assert not self.problems, "problems in the browser:\n" + "\n".join(self.problems)

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except Exception:  # already gone with the browser
                pass


@pytest.fixture
def pages(browser, live_server, request):
    p = Pages(browser, live_server.url, request.node.name)
    yield p
    p.close()
