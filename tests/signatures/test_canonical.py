"""Golden tests: the same payload gives the same canonical bytes and hash on every machine."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest

from signatures.canonical import canonical_json, sha256_hex
from signatures.errors import MalformedInput

GOLDEN_PAYLOAD: dict[str, Any] = {
    "step": {"value": "12.50", "unit": "kg", "id": "weigh-api"},
    "operator": "Zoë Müller",
    "batch_id": "B-2025-001",
    "prev_hash": "0" * 64,
    "signed_at": "2025-03-01T08:15:00Z",
    "count": 3,
    "ok": True,
    "note": None,
    "tags": ["µ", "€", "\n"],
}
GOLDEN_BYTES = (
    b'{"batch_id":"B-2025-001","count":3,"note":null,"ok":true,'
    b'"operator":"Zo\xc3\xab M\xc3\xbcller",'
    b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"signed_at":"2025-03-01T08:15:00Z",'
    b'"step":{"id":"weigh-api","unit":"kg","value":"12.50"},'
    b'"tags":["\xc2\xb5","\xe2\x82\xac","\\n"]}'
)
GOLDEN_SHA256 = "59f179396703ec06e7a4a6e05efe7df0b5102a13b9e0f8f4735edc4171861011"


def test_golden_payload_bytes() -> None:
    assert canonical_json(GOLDEN_PAYLOAD) == GOLDEN_BYTES


def test_golden_payload_hash() -> None:
    assert sha256_hex(canonical_json(GOLDEN_PAYLOAD)) == GOLDEN_SHA256
    assert GOLDEN_SHA256 == hashlib.sha256(GOLDEN_BYTES).hexdigest()


def test_key_order_does_not_matter() -> None:
    reordered = dict(reversed(list(GOLDEN_PAYLOAD.items())))
    assert canonical_json(reordered) == GOLDEN_BYTES


def test_rfc8785_sorts_keys_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = [k for k, _ in sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))]
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    expected = "{" + ",".join(f'"{k}":"{value[k]}"' for k in keys) + "}"
    assert canonical_json(value) == expected.replace("\r", "\\r").encode("utf-8")


def test_numbers_use_the_ecmascript_form() -> None:
    assert canonical_json([1e21, 1.0, 0.1, -0.0, 2**53 - 1]) == b"[1e+21,1,0.1,0,9007199254740991]"


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        {"x": [float("-inf")]},
        2**53,
        {1: "non-string key"},
        Decimal("12.50"),
        b"bytes",
        "\ud800 lone surrogate",
        {"when": object()},
    ],
)
def test_refuses_what_json_cannot_carry_exactly(value: Any) -> None:
    with pytest.raises(MalformedInput) as caught:
        canonical_json(value)
    assert caught.value.code == "malformed"


def test_refuses_absurd_nesting() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(MalformedInput):
        canonical_json(deep)
