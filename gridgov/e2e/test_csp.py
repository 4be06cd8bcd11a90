"""The Content-Security-Policy in a real browser: the pages that carry the most script and style — the
API docs (Swagger UI), the report form's map (Leaflet), htmx pages, the registry overview's meter, the law
library and the dispute pages — work under the policy, and the browser reports no violation (Chromium logs
each refused script/style as a console error, which ``pages.assert_clean()`` fails on)."""

from __future__ import annotations

import pytest

from gridgov.events.taxonomy import install_default_categories
from gridgov.testing import PASSWORD, make_city

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips every test here then
    expect = None

pytestmark = pytest.mark.e2e


def _violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations || []")


def _watch(page) -> None:
    # an init script is injected by the browser itself (not subject to the page's policy)
    page.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation",
            (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
    """)


def test_the_api_docs_work_under_the_policy(pages):
    page = pages.open("developer")
    _watch(page)
    resp = page.goto("/api/v1/docs")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()  # Swagger UI ran and rendered
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/events")
    page.locator(".swagger-ui .opblock-summary").first.click()  # expand one operation
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    assert _violations(page) == []
    pages.assert_clean()


def test_pages_with_maps_htmx_and_meters_work_under_the_policy(pages):
    make_city()
    install_default_categories()
    citizen = pages.open("citizen", phone=True)
    _watch(citizen)
    resp = citizen.goto("/citizen/report/")
    assert "unsafe-inline" not in resp.headers["content-security-policy"]
    expect(citizen.get_by_role("heading", name="我要反映")).to_be_visible()
    assert _violations(citizen) == []

    worker = pages.open("worker_a")
    _watch(worker)
    pages.login(worker, "worker_a")
    for path, ready in [("/events/new/", "#pick-map.leaflet-container"), ("/registry/", ".page-head"),
                        ("/laws/", ".law-form"), ("/disputes/", ".page-head")]:
        worker.goto(path)
        expect(worker.locator(ready).first).to_be_visible()
        assert _violations(worker) == [], path
    pages.assert_clean()


def test_the_browser_refuses_an_inline_script_and_the_watch_sees_it(pages):
    """The checks above are not vacuous: an inline script added to a page is refused and reported."""
    page = pages.open("attacker")
    _watch(page)
    page.goto("/accounts/login/")
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.__ran = true";
        document.body.appendChild(s);
    }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran === undefined")
    assert any(v.startswith("script-src") for v in _violations(page))
    assert any("Content Security Policy" in p for p in pages.problems)  # and assert_clean would fail on it


def test_the_admin_works_under_the_policy(pages):
    city = make_city()
    page = pages.open("admin")
    _watch(page)
    page.goto("/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(lambda url: "/admin/login/" not in url)
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{city.worker_a.pk}/change/",
                 "/admin/accounts/user/add/", "/admin/accounts/department/add/", "/admin/events/event/"]:
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
        assert _violations(page) == [], (path, _violations(page))
    pages.assert_clean()
