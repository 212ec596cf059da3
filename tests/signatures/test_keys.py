"""Wrapped personal keys: the right password opens them; anything else fails cleanly."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signatures.errors import KeyFormatError, WrongPassword
from signatures.kdf import derive_key
from signatures.keys import (
    FAST_TEST_PARAMS,
    KdfParams,
    WrappedKey,
    _aad,
    generate_key,
    key_id,
    public_key_id,
    rewrap_key,
    unwrap_key,
    wrap_key,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def wrapped(key: Ed25519PrivateKey) -> WrappedKey:
    return wrap_key(key, PASSWORD, params=FAST_TEST_PARAMS)


def same_key(a: Ed25519PrivateKey, b: Ed25519PrivateKey) -> bool:
    return a.private_bytes_raw() == b.private_bytes_raw()


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_unwrap_with_the_right_password(key: Ed25519PrivateKey, wrapped: WrappedKey) -> None:
    assert same_key(unwrap_key(wrapped, PASSWORD), key)
    assert wrapped.public_key == key.public_key().public_bytes_raw()
    assert (len(wrapped.salt), len(wrapped.nonce), wrapped.kdf) == (16, 12, "argon2id")


def test_wrapping_twice_uses_fresh_salt_and_nonce(key: Ed25519PrivateKey) -> None:
    a = wrap_key(key, PASSWORD, params=FAST_TEST_PARAMS)
    b = wrap_key(key, PASSWORD, params=FAST_TEST_PARAMS)
    assert a.salt != b.salt and a.nonce != b.nonce and a.ciphertext != b.ciphertext


@pytest.mark.parametrize("password", ["wrong", PASSWORD + " ", PASSWORD.upper(), "ä" * 40])
def test_wrong_password(wrapped: WrappedKey, password: str) -> None:
    with pytest.raises(WrongPassword) as caught:
        unwrap_key(wrapped, password)
    assert caught.value.code == "wrong_password"


@pytest.mark.parametrize("index", [0, 5, 31, 32, 47])
def test_corrupted_ciphertext_is_a_wrong_password(wrapped: WrappedKey, index: int) -> None:
    tampered = dataclasses.replace(wrapped, ciphertext=flip(wrapped.ciphertext, index))
    with pytest.raises(WrongPassword):
        unwrap_key(tampered, PASSWORD)


@pytest.mark.parametrize("field", ["salt", "nonce"])
def test_swapped_salt_or_nonce_is_a_wrong_password(wrapped: WrappedKey, field: str) -> None:
    changes: dict[str, Any] = {field: os.urandom(len(getattr(wrapped, field)))}
    tampered = dataclasses.replace(wrapped, **changes)
    with pytest.raises(WrongPassword):
        unwrap_key(tampered, PASSWORD)


def test_swapped_public_key_is_a_wrong_password(wrapped: WrappedKey) -> None:
    impostor = generate_key().public_key().public_bytes_raw()
    with pytest.raises(WrongPassword):
        unwrap_key(dataclasses.replace(wrapped, public_key=impostor), PASSWORD)


def test_changed_kdf_parameters_are_a_wrong_password(wrapped: WrappedKey) -> None:
    with pytest.raises(WrongPassword):
        unwrap_key(dataclasses.replace(wrapped, memory_cost=128), PASSWORD)


def test_a_key_sealed_with_someone_elses_public_key_is_refused(key: Ed25519PrivateKey) -> None:
    # Someone who knows the password seals a different private key under this public key.
    other = generate_key()
    public_raw = key.public_key().public_bytes_raw()
    salt, nonce = os.urandom(16), os.urandom(12)
    aead = AESGCM(derive_key(PASSWORD, salt, FAST_TEST_PARAMS))
    sealed = aead.encrypt(nonce, other.private_bytes_raw(), _aad(FAST_TEST_PARAMS, public_raw))
    forged = WrappedKey(
        time_cost=1,
        memory_cost=64,
        parallelism=1,
        salt=salt,
        nonce=nonce,
        ciphertext=sealed,
        public_key=public_raw,
    )
    with pytest.raises(KeyFormatError):
        unwrap_key(forged, PASSWORD)


@pytest.mark.parametrize(
    "change",
    [
        {"public_key": b"\x00" * 31},
        {"ciphertext": b"\x00" * 47},
        {"salt": b"\x00" * 8},
        {"nonce": b"\x00" * 16},
        {"kdf": "scrypt"},
        {"time_cost": 0},
        {"memory_cost": 4},
        {"memory_cost": 64 * 1024 * 1024},
        {"parallelism": 0},
    ],
)
def test_malformed_fields_are_a_key_format_error(wrapped: WrappedKey, change: Any) -> None:
    with pytest.raises(KeyFormatError) as caught:
        unwrap_key(dataclasses.replace(wrapped, **change), PASSWORD)
    assert caught.value.code == "key_format"


def test_json_round_trip(key: Ed25519PrivateKey, wrapped: WrappedKey) -> None:
    text = wrapped.to_json()
    assert WrappedKey.from_json(text) == wrapped
    assert same_key(unwrap_key(WrappedKey.from_json(text), PASSWORD), key)
    assert PASSWORD not in text and json.loads(text)["format"] == "ebr-wrapped-ed25519/1"


def _edited(wrapped: WrappedKey, **changes: Any) -> str:
    data = json.loads(wrapped.to_json())
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not ...})


@pytest.mark.parametrize(
    "changes",
    [
        {"format": "something-else/1"},
        {"format": ...},
        {"salt": ...},
        {"salt": "not base64!"},
        {"nonce": "AAAA AAAA"},
        {"public_key": 12},
        {"time_cost": "2"},
        {"time_cost": True},
        {"memory_cost": 19456.0},
        {"kdf": None},
        {"kdf": "pbkdf2"},
        {"ciphertext": "AAAA"},
    ],
)
def test_malformed_json_is_a_key_format_error(wrapped: WrappedKey, changes: Any) -> None:
    with pytest.raises(KeyFormatError):
        WrappedKey.from_json(_edited(wrapped, **changes))


@pytest.mark.parametrize("text", ["", "not json", "[]", "null", '"text"', "[" * 100000])
def test_garbage_is_a_key_format_error(text: str) -> None:
    with pytest.raises(KeyFormatError):
        WrappedKey.from_json(text)


def test_rewrap_keeps_the_key_pair_and_retires_the_old_password(
    key: Ed25519PrivateKey, wrapped: WrappedKey
) -> None:
    rewrapped = rewrap_key(wrapped, PASSWORD, "a new passphrase")
    assert rewrapped.public_key == wrapped.public_key
    assert rewrapped.params == wrapped.params
    assert same_key(unwrap_key(rewrapped, "a new passphrase"), key)
    with pytest.raises(WrongPassword):
        unwrap_key(rewrapped, PASSWORD)


def test_rewrap_needs_the_old_password(wrapped: WrappedKey) -> None:
    with pytest.raises(WrongPassword):
        rewrap_key(wrapped, "guess", "a new passphrase")


def test_rewrap_can_upgrade_parameters(wrapped: WrappedKey) -> None:
    stronger = KdfParams(time_cost=2, memory_cost=128, parallelism=1)
    rewrapped = rewrap_key(wrapped, PASSWORD, PASSWORD, params=stronger)
    assert rewrapped.params == stronger
    assert unwrap_key(rewrapped, PASSWORD).public_key().public_bytes_raw() == wrapped.public_key


def test_password_is_unicode_normalised(key: Ed25519PrivateKey) -> None:
    composed, decomposed = "Zo\u00eb-2025", "Zoe\u0308-2025"
    wrapped = wrap_key(key, composed, params=FAST_TEST_PARAMS)
    assert same_key(unwrap_key(wrapped, decomposed), key)


def test_empty_password_is_refused(key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        wrap_key(key, "", params=FAST_TEST_PARAMS)


def test_default_parameters_are_owasp_minimum_and_work(key: Ed25519PrivateKey) -> None:
    assert KdfParams() == KdfParams(time_cost=2, memory_cost=19456, parallelism=1)
    wrapped = wrap_key(key, PASSWORD)
    started = time.perf_counter()
    assert same_key(unwrap_key(wrapped, PASSWORD), key)
    assert time.perf_counter() - started < 2.0


def test_key_id_is_the_sha256_prefix_of_the_raw_public_key(key: Ed25519PrivateKey) -> None:
    raw = key.public_key().public_bytes_raw()
    assert key_id(raw) == hashlib.sha256(raw).hexdigest()[:32]
    assert public_key_id(key.public_key()) == key_id(raw)
    with pytest.raises(KeyFormatError):
        key_id(raw[:31])
