"""``crypto.encrypt`` writes Fernet tokens itself (one cipher context kept open): byte for byte the tokens of
``cryptography``'s Fernet for the same time and IV, and read back by Fernet/MultiFernet and ``crypto.decrypt``."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet, MultiFernet

from gridgov.core import crypto
from gridgov.core.crypto import FernetWriter


@pytest.mark.parametrize("length", [0, 1, 11, 15, 16, 17, 18, 31, 32, 33, 100])
def test_the_tokens_are_fernet_tokens_byte_for_byte(length):
    key = Fernet.generate_key()
    data = os.urandom(length)
    iv = os.urandom(16)
    at = 1_764_633_600 + length
    token = FernetWriter(key).encrypt_at(data, at, iv)
    assert token == Fernet(key)._encrypt_from_parts(data, at, iv)
    assert Fernet(key).decrypt(token) == data
    assert MultiFernet([Fernet(Fernet.generate_key()), Fernet(key)]).decrypt(token) == data


def test_a_bad_key_is_refused():
    with pytest.raises(ValueError):
        FernetWriter(b"c2hvcnQ=")


def test_crypto_encrypt_round_trips_and_uses_the_first_key(settings):
    first, second = Fernet.generate_key(), Fernet.generate_key()
    settings.GRIDGOV_FIELD_KEY = f"{first.decode()}, {second.decode()}"
    token = crypto.encrypt("371502198001011234")
    assert Fernet(first).decrypt(token.encode()) == b"371502198001011234"
    assert crypto.decrypt(token) == "371502198001011234"
    assert crypto.encrypt("13800000000") != crypto.encrypt("13800000000")  # a fresh IV every time
    assert crypto.encrypt("") == ""
