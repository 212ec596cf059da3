"""Record signatures: sign, verify, and every way a signature must stop verifying."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signatures.errors import BadSignature, MalformedInput
from signatures.keys import public_key_id
from signatures.signing import Signature, sign_payload, verify_many, verify_payload
from tests.signatures.test_canonical import GOLDEN_BYTES, GOLDEN_PAYLOAD

# RFC 8032 section 7.1, test 2: an independent check that what we call Ed25519 is Ed25519.
RFC8032_SECRET = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
RFC8032_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC8032_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)
GOLDEN_SIGNATURE = (
    "72b1bcdc5f1d053f8241698330c5f2b2911b45ee3befc879a28fcd88c2b82a4a"
    "153a3fc23968c14319a5e054bc4729f275765b8ba1f02988557fd65b1052130f"
)
GOLDEN_KEY_ID = "39f713d0a644253f04529421b9f51b9b"  # sha256(RFC8032_PUBLIC)[:32]


def payload(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "step_recorded",
        "batch_id": "B-1",
        "step_id": "weigh",
        "value": "12.50",
        "unit": "kg",
        **changes,
    }


def flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def test_rfc8032_vector() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    assert key.public_key().public_bytes_raw() == RFC8032_PUBLIC
    signature = Signature(key_id=public_key_id(key.public_key()), value=RFC8032_SIGNATURE)
    verify_payload(key.public_key(), b"\x72", signature)
    assert key.sign(b"\x72") == RFC8032_SIGNATURE


def test_golden_signature() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    data, signature = sign_payload(key, GOLDEN_PAYLOAD)
    assert data == GOLDEN_BYTES
    assert signature.value.hex() == GOLDEN_SIGNATURE
    assert signature.key_id == GOLDEN_KEY_ID
    verify_payload(key.public_key(), GOLDEN_BYTES, signature)


def test_golden_signature_tampered() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
    signature = Signature(key_id=GOLDEN_KEY_ID, value=bytes.fromhex(GOLDEN_SIGNATURE))
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), {**GOLDEN_PAYLOAD, "count": 4}, signature)


def test_sign_and_verify(key: Ed25519PrivateKey) -> None:
    data, signature = sign_payload(key, payload())
    assert signature.algorithm == "Ed25519" and len(signature.value) == 64
    verify_payload(key.public_key(), data, signature)
    verify_payload(key.public_key(), payload(), signature)
    verify_payload(key.public_key(), dict(reversed(payload().items())), signature)


@pytest.mark.parametrize(("index", "bit"), [(0, 0), (31, 7), (32, 0), (63, 7)])
def test_flipped_signature_bit(key: Ed25519PrivateKey, index: int, bit: int) -> None:
    data, signature = sign_payload(key, payload())
    tampered = dataclasses.replace(signature, value=flip(signature.value, index, bit))
    with pytest.raises(BadSignature) as caught:
        verify_payload(key.public_key(), data, tampered)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize(
    "changes", [{"value": "12.51"}, {"unit": "g"}, {"step_id": "weigh "}, {"extra": None}]
)
def test_payload_changed_by_one_value(key: Ed25519PrivateKey, changes: Any) -> None:
    _, signature = sign_payload(key, payload())
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), payload(**changes), signature)


def test_signed_bytes_changed_by_one_bit(key: Ed25519PrivateKey) -> None:
    data, signature = sign_payload(key, payload())
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), flip(data, len(data) // 2), signature)


def test_signature_replayed_onto_another_batch(key: Ed25519PrivateKey) -> None:
    _, signature = sign_payload(key, payload(batch_id="B-1"))
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), payload(batch_id="B-2"), signature)


def test_signature_checked_against_another_key(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    data, signature = sign_payload(key, payload())
    with pytest.raises(BadSignature, match="another key"):
        verify_payload(other_key.public_key(), data, signature)


def test_key_id_relabelled_to_the_checking_key(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    data, signature = sign_payload(key, payload())
    relabelled = dataclasses.replace(signature, key_id=public_key_id(other_key.public_key()))
    with pytest.raises(BadSignature, match="does not verify"):
        verify_payload(other_key.public_key(), data, relabelled)


def test_key_id_mismatch_with_a_valid_signature(key: Ed25519PrivateKey) -> None:
    data, signature = sign_payload(key, payload())
    with pytest.raises(BadSignature, match="another key"):
        verify_payload(key.public_key(), data, dataclasses.replace(signature, key_id="0" * 32))


def test_resigned_by_another_key(key: Ed25519PrivateKey, other_key: Ed25519PrivateKey) -> None:
    data, _ = sign_payload(key, payload())
    _, forged = sign_payload(other_key, payload())
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), data, forged)


def test_other_algorithm_is_refused(key: Ed25519PrivateKey) -> None:
    data, signature = sign_payload(key, payload())
    with pytest.raises(BadSignature):
        verify_payload(key.public_key(), data, dataclasses.replace(signature, algorithm="none"))


def test_unsignable_payload(key: Ed25519PrivateKey) -> None:
    with pytest.raises(MalformedInput):
        sign_payload(key, payload(value=float("nan")))


def test_signature_dict_round_trip(key: Ed25519PrivateKey) -> None:
    _, signature = sign_payload(key, payload())
    as_dict = signature.to_dict()
    assert set(as_dict) == {"algorithm", "key_id", "value"}
    assert Signature.from_dict(as_dict) == signature


@pytest.mark.parametrize(
    "changes",
    [
        {"algorithm": "RS256"},
        {"value": "AAAA"},
        {"value": "not base64"},
        {"value": None},
        {"key_id": 7},
        {"key_id": ...},
    ],
)
def test_malformed_signature_dict(key: Ed25519PrivateKey, changes: Any) -> None:
    data = {**sign_payload(key, payload())[1].to_dict(), **changes}
    with pytest.raises(BadSignature, match="malformed"):
        Signature.from_dict({k: v for k, v in data.items() if v is not ...})


def _items(
    keys: list[Ed25519PrivateKey], count: int
) -> list[tuple[Ed25519PublicKey, bytes, Signature]]:
    publics = [k.public_key() for k in keys]
    items = []
    for n in range(count):
        signer = n % len(keys)
        data, signature = sign_payload(keys[signer], payload(seq=n))
        items.append((publics[signer], data, signature))
    return items


def test_verify_many(key: Ed25519PrivateKey, other_key: Ed25519PrivateKey) -> None:
    items = _items([key, other_key], 20)
    assert verify_many(items) == 20
    assert verify_many(iter(items)) == 20
    assert verify_many([]) == 0


@pytest.mark.parametrize("bad", [0, 7, 19])
def test_verify_many_names_the_first_bad_item(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey, bad: int
) -> None:
    items = _items([key, other_key], 20)
    public, data, signature = items[bad]
    items[bad] = (public, data + b" ", signature)
    items[19] = (items[19][0], items[19][1] + b" ", items[19][2])
    with pytest.raises(BadSignature) as caught:
        verify_many(items)
    assert caught.value.index == bad


def test_verify_many_checks_key_id_per_item(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    items = _items([key], 5)
    items[3] = (other_key.public_key(), items[3][1], items[3][2])
    with pytest.raises(BadSignature, match="another key") as caught:
        verify_many(items)
    assert caught.value.index == 3
