"""Personal Ed25519 signing keys, stored only encrypted under a key derived from the password.

A wrapped key is the raw 32-byte Ed25519 private key sealed with AES-256-GCM under a key that
Argon2id derives from the user's password and a random salt. The GCM associated data binds the
format tag, the KDF parameters and the public key, so editing any stored field makes unwrapping
fail exactly as a wrong password does: a doctored key file is never half-trusted.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signatures.canonical import sha256_hex
from signatures.errors import KeyFormatError, WrongPassword
from signatures.kdf import FAST_TEST_PARAMS, KdfParams, derive_key
from signatures.wrapped import FORMAT, NONCE_BYTES, SALT_BYTES, WrappedKey

__all__ = [
    "FAST_TEST_PARAMS",
    "KdfParams",
    "WrappedKey",
    "generate_key",
    "key_id",
    "public_key_id",
    "rewrap_key",
    "unwrap_key",
    "wrap_key",
]


def generate_key() -> Ed25519PrivateKey:
    """Return a new random Ed25519 private key (from the operating system's CSPRNG)."""
    return Ed25519PrivateKey.generate()


def key_id(public_key_raw: bytes) -> str:
    """Return the fingerprint of a raw Ed25519 public key: the first 32 hex digits of its SHA-256.

    Raises:
        KeyFormatError: ``public_key_raw`` is not 32 bytes.
    """
    if len(public_key_raw) != 32:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return sha256_hex(public_key_raw)[:32]


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """Return ``key_id`` of an Ed25519 public key object."""
    return key_id(public_key.public_bytes_raw())


def wrap_key(
    key: Ed25519PrivateKey, password: str, *, params: KdfParams | None = None
) -> WrappedKey:
    """Encrypt ``key`` under ``password`` with a fresh random 16-byte salt and 12-byte nonce.

    The password is NFC-normalised and UTF-8 encoded first, so the same password typed on
    different systems opens the key. ``params`` defaults to ``KdfParams()``.

    Raises:
        ValueError: the password is empty.
        KeyFormatError: ``params`` are out of range.
    """
    if not password:
        raise ValueError("refusing to wrap a key under an empty password")
    params = params or KdfParams()
    public_raw = key.public_key().public_bytes_raw()
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    aead = AESGCM(derive_key(password, salt, params))
    ciphertext = aead.encrypt(nonce, key.private_bytes_raw(), _aad(params, public_raw))
    return WrappedKey(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        salt=salt,
        nonce=nonce,
        ciphertext=ciphertext,
        public_key=public_raw,
    )


def unwrap_key(wrapped: WrappedKey, password: str) -> Ed25519PrivateKey:
    """Decrypt the private key in ``wrapped`` with ``password``.

    Checks the field kinds and sizes, then authenticates the ciphertext together with the KDF
    parameters and the public key (AES-256-GCM), then checks that the decrypted private key's
    public key is ``wrapped.public_key``.

    Raises:
        WrongPassword: the password is wrong, or the salt, nonce, ciphertext, parameters or
            public key were altered in storage (indistinguishable from a wrong password).
        KeyFormatError: a field has the wrong type or size or out-of-range parameters, or the
            decrypted key does not match the stored public key.
    """
    wrapped.check()
    aead = AESGCM(derive_key(password, wrapped.salt, wrapped.params))
    aad = _aad(wrapped.params, wrapped.public_key)
    try:
        raw = aead.decrypt(wrapped.nonce, wrapped.ciphertext, aad)
    except InvalidTag:
        raise WrongPassword("the password does not open this signing key") from None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if key.public_key().public_bytes_raw() != wrapped.public_key:
        raise KeyFormatError("the wrapped private key does not match its public key")
    return key


def rewrap_key(
    wrapped: WrappedKey,
    old_password: str,
    new_password: str,
    *,
    params: KdfParams | None = None,
) -> WrappedKey:
    """Re-encrypt the same key pair under ``new_password`` with a fresh salt and nonce.

    ``params`` defaults to the parameters of ``wrapped`` (pass ``KdfParams()`` to upgrade old
    parameters). The old wrapped key still opens with the old password: the caller must replace
    it in storage.

    Raises:
        WrongPassword, KeyFormatError: as ``unwrap_key``.
        ValueError: ``new_password`` is empty.
    """
    key = unwrap_key(wrapped, old_password)
    return wrap_key(key, new_password, params=params or wrapped.params)


def _aad(params: KdfParams, public_raw: bytes) -> bytes:
    header = f"{FORMAT}|argon2id|{params.time_cost}|{params.memory_cost}|{params.parallelism}|"
    return header.encode("ascii") + public_raw
