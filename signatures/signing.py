"""Signing and verifying records: Ed25519 over the RFC 8785 canonical bytes of the payload."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signatures._b64 import b64decode, b64encode
from signatures.canonical import canonical_json
from signatures.errors import BadSignature
from signatures.keys import public_key_id

__all__ = ["ALGORITHM", "Signature", "sign_payload", "verify_many", "verify_payload"]

ALGORITHM = "Ed25519"


@dataclass(frozen=True, kw_only=True)
class Signature:
    """An Ed25519 signature and the ``key_id`` of the key that made it."""

    algorithm: str = ALGORITHM
    key_id: str
    value: bytes  # 64 bytes

    def to_dict(self) -> dict[str, str]:
        """Return ``{"algorithm", "key_id", "value"}`` with the value in standard base64."""
        return {"algorithm": self.algorithm, "key_id": self.key_id, "value": b64encode(self.value)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Parse what ``to_dict`` returned.

        Raises:
            BadSignature: a missing or mistyped field, an algorithm other than Ed25519, or a
                value that is not 64 bytes of valid base64.
        """
        try:
            algorithm, kid = data["algorithm"], data["key_id"]
            value = b64decode(data["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadSignature(f"malformed signature: {exc!r}") from exc
        if algorithm != ALGORITHM or not isinstance(kid, str) or len(value) != 64:
            raise BadSignature("malformed signature: not a 64-byte Ed25519 signature")
        return cls(algorithm=algorithm, key_id=kid, value=value)


def sign_payload(key: Ed25519PrivateKey, payload: Mapping[str, Any]) -> tuple[bytes, Signature]:
    """Sign the canonical JSON of ``payload`` with ``key``.

    Returns the exact bytes signed (store them: verification runs over these bytes) and the
    signature. The payload should name what it is about (record kind, batch id, step, who,
    when, ``prev_hash``), since a signature proves only the bytes it covers.

    Raises:
        MalformedInput: the payload cannot be canonicalised (see ``canonical_json``).
    """
    data = canonical_json(dict(payload))
    return data, Signature(key_id=public_key_id(key.public_key()), value=key.sign(data))


def verify_payload(
    public_key: Ed25519PublicKey,
    payload_or_bytes: Mapping[str, Any] | bytes,
    signature: Signature,
) -> None:
    """Check that ``signature`` is ``public_key``'s Ed25519 signature over the payload.

    ``payload_or_bytes`` is either the stored canonical bytes (preferred: what was signed) or a
    mapping, which is canonicalised first. Checks the algorithm, that ``signature.key_id`` is
    this key's id, then the signature itself. Returns ``None`` on success.

    Raises:
        BadSignature: any check fails.
        MalformedInput: a mapping that cannot be canonicalised.
    """
    if isinstance(payload_or_bytes, bytes):
        data = payload_or_bytes
    else:
        data = canonical_json(dict(payload_or_bytes))
    if signature.algorithm != ALGORITHM:
        raise BadSignature(f"unsupported signature algorithm {signature.algorithm!r}")
    if signature.key_id != public_key_id(public_key):
        raise BadSignature("the signature names another key than the one given")
    try:
        public_key.verify(signature.value, data)
    except InvalidSignature:
        raise BadSignature("the signature does not verify over these bytes") from None


def verify_many(items: Iterable[tuple[Ed25519PublicKey, bytes, Signature]]) -> int:
    """Verify each (public key, signed bytes, signature) in order; return how many verified.

    Each item is checked as ``verify_payload`` checks it. The ``key_id`` of each public key
    object is computed once and cached by object identity, so pass the same key object for
    every record of one signer.

    Raises:
        BadSignature: at the first item that fails, with ``index`` set to its position.
    """
    key_ids: dict[int, tuple[Ed25519PublicKey, str]] = {}
    count = 0
    for index, (public_key, data, signature) in enumerate(items):
        cached = key_ids.get(id(public_key))
        if cached is None:
            # The key object is kept in the cache so its id cannot be reused by another object.
            cached = key_ids[id(public_key)] = (public_key, public_key_id(public_key))
        if signature.algorithm != ALGORITHM:
            raise BadSignature(f"item {index}: unsupported algorithm", index=index)
        if signature.key_id != cached[1]:
            raise BadSignature(f"item {index}: signed by another key", index=index)
        try:
            public_key.verify(signature.value, data)
        except InvalidSignature:
            raise BadSignature(f"item {index}: signature does not verify", index=index) from None
        count += 1
    return count
