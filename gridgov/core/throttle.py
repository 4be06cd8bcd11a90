"""A small fixed-window rate limit in the cache (shared across processes when Redis is configured)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from gridgov.core.crypto import lookup_hash
from gridgov.core.errors import DomainError


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind a reverse proxy the header it sets (settings
    ``CLIENT_IP_HEADER``, e.g. ``HTTP_X_REAL_IP``; only a header the proxy overwrites, never one a client can
    choose — the last address of X-Forwarded-For is the one the proxy appended)."""
    from django.conf import settings

    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        value = request.META.get(header, "").split(",")[-1].strip()
        if value:
            return value
    return request.META.get("REMOTE_ADDR", "unknown")


def check(scope: str, who: str, limit: int, window_s: int, message: str = "") -> None:
    """Count one hit for ``who`` in ``scope``; raise TooManyRequests past ``limit`` per window."""
    window = int(time.time() // window_s)
    # ``who`` may be a phone or an address: the cache key carries only its keyed hash
    key = f"throttle:{scope}:{lookup_hash(str(who), 'throttle')[:32]}:{window}"
    cache.add(key, 0, timeout=window_s + 5)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_s + 5)
        hits = 1
    if hits > limit:
        raise TooManyRequests(message or _("查询过于频繁，请稍后再试"))
