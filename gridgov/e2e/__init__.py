"""End-to-end tests: the web pages driven in headless Chromium against pytest-django's live server.

Run them with ``.venv/bin/python -m pytest gridgov/e2e -v`` (they are also part of ``make test``).
They need the Debian ``chromium`` package (``/usr/bin/chromium``) and the ``playwright`` Python
package; without either every test here is skipped with the reason.  Playwright's own browser
downloads are never used.

Environment variables:

``GRIDGOV_CHROMIUM``
    The Chromium executable (default ``/usr/bin/chromium``).  Point it at a missing path, e.g.
    ``GRIDGOV_CHROMIUM=/nonexistent``, to see how the suite behaves on a machine without Chromium.
``GRIDGOV_E2E_SHOTS``
    A directory for full-page screenshots taken at the key steps (none are taken when unset).
``GRIDGOV_E2E_HEADED``
    ``1`` to watch the browser (needs a display).
"""
