"""Personal data at rest: Fernet encryption plus a keyed hash (HMAC-SHA256) for exact lookup.

Keys come from the environment:
  GRIDGOV_FIELD_KEY  a Fernet key (``Fernet.generate_key()``); several, comma-separated, rotate
                     (the first encrypts, all decrypt)
  GRIDGOV_HASH_KEY   any long random string, for the lookup hash; changing it needs a re-hash
In development both are derived from SECRET_KEY so the demo runs with no setup; production
refuses to start without them (settings).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"gridgov:{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived("field-encryption")))])


def fernet() -> MultiFernet:
    return _fernet(settings.GRIDGOV_FIELD_KEY)


def encrypt(value: str) -> str:
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: say so rather than show garbage
        raise ValueError("personal data cannot be decrypted with the configured GRIDGOV_FIELD_KEY") from exc


def lookup_hash(value: str, purpose: str = "id") -> str:
    """Deterministic keyed hash for exact match and de-duplication (never reversible without the key)."""
    key = settings.GRIDGOV_HASH_KEY.encode() if settings.GRIDGOV_HASH_KEY else _derived("lookup-hash")
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_id(value: str) -> str:
    """371502********123X: region and last four stay, birth date and sequence go."""
    if len(value) <= 8:
        return "*" * len(value)
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_phone(value: str) -> str:
    """138****5678"""
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + "****" + value[-4:]
    return "****"
