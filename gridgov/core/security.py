"""Content-Security-Policy on every response, in development as in production.

No page runs an inline script or carries an inline style: scripts and styles are static files (and the
map, htmx and Swagger UI set styles through the DOM, which a policy does not restrict).  So the policy
needs no ``'unsafe-inline'`` at all.  Images may also come from ``data:``/``blob:`` (Leaflet, Swagger UI's
icons, photo previews) and from the configured map tile server (``GRIDGOV_TILE_URL``).  It is on in
development and in the tests too, so a page that would break under it breaks there first (the browser
tests fail on any console error, and a CSP violation is one).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

HEADER = "Content-Security-Policy"


def tile_origin(url: str) -> str:
    """The origin of a tile URL template: ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` →
    ``https://*.tile.example.org``; "" when there is none (no tile server, or a path on this server)."""
    url = (url or "").strip()
    if not url or "://" not in url:
        return ""
    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def build_policy(tile_url: str) -> str:
    images = ["'self'", "data:", "blob:"]
    origin = tile_origin(tile_url)
    if origin:
        images.append(origin)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def policy() -> str:
    return build_policy(settings.GRIDGOV.get("TILE_URL", ""))


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy()
        return response
