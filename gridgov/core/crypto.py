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


@lru_cache(maxsize=4)
def _hash_key(configured: str, secret: str) -> bytes:
    return configured.encode() if configured else _derived("lookup-hash")


def lookup_hash(value: str, purpose: str = "id") -> str:
    """Deterministic keyed hash for exact match and de-duplication (never reversible without the key)."""
    key = _hash_key(settings.GRIDGOV_HASH_KEY, settings.SECRET_KEY)
    return hmac.digest(key, f"{purpose}:{value}".encode(), "sha256").hex()


@lru_cache(maxsize=8)
def _blake2b(configured: str, secret: str, purpose: str, size: int):
    key = hashlib.sha256(_hash_key(configured, secret) + f":{purpose}".encode()).digest()
    return hashlib.blake2b(key=key, digest_size=size)


def keyed_hasher(purpose: str, size: int = 16):
    """A fresh BLAKE2b hasher (``size`` bytes of digest) keyed from the lookup-hash key and ``purpose``: for
    digests of personal data that are stored to be compared, never read (like :func:`lookup_hash`, without the
    key they confirm no guess).  Faster than HMAC for many small digests; the keyed state is made once."""
    return _blake2b(settings.GRIDGOV_HASH_KEY, settings.SECRET_KEY, purpose, size).copy()


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


# --- phones --------------------------------------------------------------------------------------
# A phone number is personal data like an identity number: Fernet ciphertext at rest, an HMAC hash
# for exact lookup (citizen tracking, idempotency scopes, repeat detection), masked for display.


def normalize_phone(value: str) -> str:
    """The canonical form that is encrypted and hashed: no spaces, dashes, dots or brackets, no +86 /
    0086 prefix.  ``" +86 138-0000-1234 "`` and ``"13800001234"`` are the same number.  Validation
    (what counts as a phone) stays with the caller; this only makes equal numbers compare equal."""
    raw = "".join(ch for ch in str(value or "") if ch not in " \t\r\n-.()（）\u3000")
    for prefix in ("+86", "0086"):
        if raw.startswith(prefix):
            raw = raw[len(prefix):]
            break
    return raw


def phone_hash(value: str) -> str:
    """The keyed lookup hash of a phone (of its normalized form); "" for no phone."""
    phone = normalize_phone(value)
    return lookup_hash(phone, "phone") if phone else ""


def seal_phone(value: str) -> tuple[str, str]:
    """The two columns of a sealed phone (:class:`SealedPhone`) for a new row: ciphertext and keyed hash of the
    normalized number, ``("", "")`` for no phone."""
    phone = normalize_phone(value)
    return (encrypt(phone), lookup_hash(phone, "phone")) if phone else ("", "")


class SealedPhone(property):
    """A model attribute ``<name>`` backed by two columns: ``<name>_enc`` (Fernet ciphertext) and
    ``<name>_hash`` (:func:`phone_hash`, indexed, for lookups).  Reading decrypts; writing normalizes,
    encrypts and hashes.  It is a ``property`` so ``Model(<name>=...)`` and ``objects.create(<name>=...)``
    accept it.  Query by ``<name>_hash=phone_hash(value)``, never by the number itself::

        reporter_phone_enc = models.TextField(blank=True, editable=False)
        reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
        reporter_phone = SealedPhone("reporter_phone")
    """

    def __init__(self, name: str):
        self.enc_attr = f"{name}_enc"
        self.hash_attr = f"{name}_hash"
        super().__init__(self._get, self._set, doc=f"the phone, sealed in {self.enc_attr} / {self.hash_attr}")

    def _get(self, obj) -> str:
        return decrypt(getattr(obj, self.enc_attr))

    def _set(self, obj, value) -> None:
        phone = normalize_phone(value)
        digest = phone_hash(phone)
        if digest == getattr(obj, self.hash_attr, None) and (not phone or getattr(obj, self.enc_attr, "")):
            return  # the same number: keep the ciphertext, so an unchanged record stays unchanged
        setattr(obj, self.enc_attr, encrypt(phone))
        setattr(obj, self.hash_attr, digest)


def citizen_scope(phone: str) -> str:
    """The idempotency scope of a citizen without an account: their phone's hash (cut to fit the
    64-character column; 224 bits), never the number itself."""
    return "citizen:" + phone_hash(phone)[:56]
