"""Raw Ed25519 verifies per second on one core, against ``verify_many`` over the same records.

Run ``python -m bench.verify_raw``. The ratio shows what the library adds per record (key id
check, algorithm check, error mapping); it should stay close to 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signatures.keys import generate_key
from signatures.signing import Signature, sign_payload, verify_many

RECORDS = 10_000
SIGNERS = 10
ROUNDS = 3

Item = tuple[Ed25519PublicKey, bytes, Signature]


def make_items() -> list[Item]:
    keys = [generate_key() for _ in range(SIGNERS)]
    publics = [key.public_key() for key in keys]
    items: list[Item] = []
    for seq in range(RECORDS):
        signer = seq % SIGNERS
        payload = {
            "kind": "step_recorded",
            "batch_id": f"B-{seq // 100:04d}",
            "seq": seq,
            "step_id": "weigh-api",
            "value": "12.50",
            "unit": "kg",
            "prev_hash": "0" * 64,
        }
        data, signature = sign_payload(keys[signer], payload)
        items.append((publics[signer], data, signature))
    return items


def best_rate(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return RECORDS / best


def main() -> None:
    items = make_items()

    def raw() -> None:
        for public_key, data, signature in items:
            public_key.verify(signature.value, data)

    def library() -> None:
        if verify_many(items) != RECORDS:
            raise SystemExit("verify_many did not verify every record")

    raw_rate, library_rate = best_rate(raw), best_rate(library)
    print(f"records:                {RECORDS} ({SIGNERS} signers, best of {ROUNDS})")
    print(f"raw Ed25519 verify:     {raw_rate:,.0f} /s")
    print(f"verify_many:            {library_rate:,.0f} /s")
    print(f"verify_many / raw:      {library_rate / raw_rate:.3f}")


if __name__ == "__main__":
    main()
