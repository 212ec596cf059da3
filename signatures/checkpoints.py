"""Signed checkpoints of the audit log: (origin, tree size, root hash, time), signed by the site.

An auditor keeps a checkpoint file; later, a consistency proof from that checkpoint to a newer
one shows the log only grew. The signed message is the RFC 8785 canonical JSON of
``{"kind": "ebr-checkpoint/1", "origin", "tree_size", "root_hash" (hex), "timestamp"}`` with the
timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, always six fractional digits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signatures._b64 import b64decode, b64encode
from signatures.canonical import canonical_json
from signatures.errors import BadSignature, MalformedInput
from signatures.keys import public_key_id

__all__ = [
    "CHECKPOINT_KIND",
    "Checkpoint",
    "checkpoint_message",
    "sign_checkpoint",
    "verify_checkpoint",
]

CHECKPOINT_KIND = "ebr-checkpoint/1"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log ``origin`` had ``tree_size`` leaves with ``root_hash``."""

    origin: str
    tree_size: int
    root_hash: bytes  # 32 bytes
    timestamp: datetime  # aware, UTC
    key_id: str
    signature: bytes  # 64 bytes

    def to_json(self) -> str:
        """Serialise to canonical JSON text (root hash in hex, signature in base64)."""
        data = {
            "kind": CHECKPOINT_KIND,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": _format_time(self.timestamp),
            "key_id": self.key_id,
            "signature": b64encode(self.signature),
        }
        return canonical_json(data).decode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Parse what ``to_json`` wrote. The signature is not checked: call ``verify_checkpoint``.

        Raises:
            MalformedInput: not JSON, another kind, a missing or mistyped field, a root that is
                not 32 bytes of hex, a signature that is not 64 bytes of base64, or a timestamp
                not in the exact UTC format.
        """
        try:
            data: Any = json.loads(text)
            if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND:
                raise ValueError(f"not a {CHECKPOINT_KIND} checkpoint")
            origin, size, kid = data["origin"], data["tree_size"], data["key_id"]
            if not isinstance(origin, str) or type(size) is not int or not isinstance(kid, str):
                raise ValueError("origin, tree_size or key_id has the wrong type")
            if not isinstance(data["root_hash"], str) or size < 0:
                raise ValueError("bad root hash or tree size")
            checkpoint = cls(
                origin=origin,
                tree_size=size,
                root_hash=bytes.fromhex(data["root_hash"]),
                timestamp=_parse_time(data["timestamp"]),
                key_id=kid,
                signature=b64decode(data["signature"]),
            )
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise MalformedInput(f"malformed checkpoint: {exc}") from exc
        if len(checkpoint.root_hash) != 32 or len(checkpoint.signature) != 64:
            raise MalformedInput("malformed checkpoint: root or signature has the wrong size")
        return checkpoint


def checkpoint_message(
    *, origin: str, tree_size: int, root_hash: bytes, timestamp: datetime
) -> bytes:
    """Return the exact bytes a checkpoint signature covers (see the module docstring).

    Raises:
        ValueError: ``timestamp`` is naive, ``tree_size`` not an integer >= 0, ``root_hash`` not
            32 bytes, or ``origin`` not text.
    """
    if type(tree_size) is not int or tree_size < 0:
        raise ValueError("a checkpoint's tree size is an integer >= 0")
    if not isinstance(root_hash, bytes) or len(root_hash) != 32 or not isinstance(origin, str):
        raise ValueError("a checkpoint needs a 32-byte root hash and a text origin")
    return canonical_json(
        {
            "kind": CHECKPOINT_KIND,
            "origin": origin,
            "tree_size": tree_size,
            "root_hash": root_hash.hex(),
            "timestamp": _format_time(timestamp),
        }
    )


def sign_checkpoint(
    key: Ed25519PrivateKey, *, origin: str, tree_size: int, root_hash: bytes, timestamp: datetime
) -> Checkpoint:
    """Sign a checkpoint with the site's checkpoint key; ``timestamp`` is converted to UTC.

    Raises:
        ValueError: as ``checkpoint_message``.
    """
    timestamp = timestamp.astimezone(UTC) if timestamp.tzinfo else timestamp
    message = checkpoint_message(
        origin=origin, tree_size=tree_size, root_hash=root_hash, timestamp=timestamp
    )
    return Checkpoint(
        origin=origin,
        tree_size=tree_size,
        root_hash=root_hash,
        timestamp=timestamp,
        key_id=public_key_id(key.public_key()),
        signature=key.sign(message),
    )


def verify_checkpoint(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> None:
    """Check that ``checkpoint`` was signed by ``public_key`` exactly as it stands.

    Checks that ``checkpoint.key_id`` is this key's id, then the Ed25519 signature over the
    message rebuilt from the origin, size, root and timestamp. It does not check that the root
    matches any tree: compare it with ``MerkleTree.root(tree_size)`` or use a consistency proof.

    Raises:
        BadSignature: another key's checkpoint, or any field changed since signing (or a field
            so malformed that no message can be rebuilt).
    """
    if checkpoint.key_id != public_key_id(public_key):
        raise BadSignature("the checkpoint names another signing key")
    try:
        message = checkpoint_message(
            origin=checkpoint.origin,
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            timestamp=checkpoint.timestamp,
        )
        public_key.verify(checkpoint.signature, message)
    except (InvalidSignature, ValueError, TypeError, MalformedInput):
        raise BadSignature("the checkpoint signature does not verify") from None


def _format_time(timestamp: datetime) -> str:
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("checkpoint timestamps must be timezone-aware")
    return timestamp.astimezone(UTC).strftime(_TIME_FORMAT)


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError("timestamp must be a string")
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
