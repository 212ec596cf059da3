"""Signed records as evidence: every record is listed with its manifestation and signature, the
signatures verify with the signer's certificate and chain the batch's records; a signature moved
to another batch, or kept over edited content, is refused; the server holds nothing that opens a
user's key."""

from __future__ import annotations

import hashlib
import json
from base64 import b64decode, b64encode
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.commands import Commands
from api.errors import status_of
from api.tokens import load_secret
from ebr.domain.batch import Actor
from ebr.domain.refusals import Refusal
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload
from ebr.domain.subjects import batch_chain, step_subject
from ebr.domain.values import validate_values
from ebr.store.db import session_scope
from ebr.store.keys import active_key, get_key
from ebr.store.recipes import get_recipe, recipe_of
from ebr.store.signed_records import list_batch_records
from ebr.store.users import get_user
from ebr.trust import pki_dir
from signatures.ca import load_ca, load_certificate_pem, signer_public_key, verify_certificate
from signatures.canonical import canonical_json
from signatures.errors import BadSignature, WrongPassword
from signatures.keys import unwrap_key
from signatures.signing import Signature, sign_payload, verify_payload
from signatures.wrapped import WrappedKey
from tests.api.harness import STATION, TOKEN_SECRET, Ebr, sign
from tests.api.steps import DEMO_SHORT, assert_error, complete, run_steps, started
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import BatchOutcome, SignedAction

pytestmark = pytest.mark.e2e

CLEARANCE = {"area-clear": True}
FULL_NAMES = {
    "olga": "Olga Okafor",
    "omar": "Omar Haddad",
    "sam": "Sam Lindqvist",
    "quinn": "Quinn Moreau",
}


async def records(ebr: Ebr, batch_id: str, user: str = "aude") -> list[dict[str, Any]]:
    answer = await ebr.get(user, f"/api/batches/{batch_id}/records")
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


def verify_record(ebr: Ebr, record: dict[str, Any], *, payload: bytes | None = None) -> None:
    """Check a listed record's signature over ``payload`` (its own by default) with the signer's
    certificate from the store, certified by the site CA when the record was signed."""
    signed = record["signed"]
    with session_scope(ebr.engine) as session:
        key = get_key(session=session, key_id=signed["key_id"])
        assert key is not None
        assert key.user_id == record["manifestation"]["user_id"]
        certificate = load_certificate_pem(key.certificate_pem)
    at = datetime.fromisoformat(record["manifestation"]["at"])
    verify_certificate(certificate, ebr.trust.ca.certificate, at=at)
    verify_payload(
        signer_public_key(certificate),
        payload if payload is not None else signed["payload"].encode("utf-8"),
        Signature(key_id=signed["key_id"], value=b64decode(signed["signature"])),
    )


async def test_every_record_is_listed_signed_chained_and_verifiable(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)
    listed = await records(ebr, batch_id)
    expected = [
        (step, meaning, who)
        for step, performer, _, verifier in DEMO_SHORT
        for meaning, who in [("performed", performer), ("verified", verifier)]
        if who is not None
    ]
    assert [(r["step_id"], r["meaning"], r["manifestation"]["user_id"]) for r in listed] == expected
    assert [r["seq"] for r in listed] == list(range(1, len(expected) + 1))

    previous = GENESIS
    for record in listed:
        manifestation, signed = record["manifestation"], record["signed"]
        user = manifestation["user_id"]
        assert manifestation["full_name"] == FULL_NAMES[user]
        assert manifestation["meaning"] == record["meaning"]
        assert manifestation["station"] == f"{STATION} (127.0.0.1)"
        at = datetime.fromisoformat(manifestation["at"])
        assert at.utcoffset() == timedelta(0)

        text = signed["payload"]
        payload = json.loads(text)
        assert canonical_json(payload) == text.encode("utf-8"), "the payload is canonical JSON"
        assert signed["record_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert signed["prev_hash"] == payload["prev_hash"] == previous
        previous = signed["record_hash"]

        # The signed content is what the record shows.
        assert payload["format"] == "ebr.record/2"
        assert payload["chain"] == {"kind": "batch", "id": batch_id}
        assert payload["subject"] == record["subject"]
        assert record["subject"] == {"kind": "batch-step", "id": record["step_id"]}
        assert (payload["seq"], payload["meaning"]) == (record["seq"], record["meaning"])
        assert payload["signer"] == {"user_id": user, "full_name": manifestation["full_name"]}
        assert payload["station"] == manifestation["station"]
        assert datetime.fromisoformat(payload["signed_at"]) == at
        assert payload["values"] == record["values"]
        verify_record(ebr, record)

    detail = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert [r for s in detail["steps"] for r in s["records"]] == listed


async def test_a_listed_signature_does_not_verify_over_altered_content(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    weighing = (await records(ebr, batch_id))[2]
    assert weighing["step_id"] == "weigh-powder"
    text = weighing["signed"]["payload"]
    altered = text.replace('"10.01"', '"10.10"')
    assert altered != text
    with pytest.raises(BadSignature):
        verify_record(ebr, weighing, payload=altered.encode("utf-8"))
    flipped = bytearray(text.encode("utf-8"))
    flipped[len(flipped) // 2] ^= 0x01
    with pytest.raises(BadSignature):
        verify_record(ebr, weighing, payload=bytes(flipped))
    clearance = (await records(ebr, batch_id))[0]
    swapped = {**weighing["signed"], "signature": clearance["signed"]["signature"]}
    with pytest.raises(BadSignature):
        verify_record(ebr, {**weighing, "signed": swapped})


async def test_records_need_a_token_and_a_known_batch(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    assert_error(await ebr.http.get(f"/api/batches/{batch_id}/records"), 401, "not_authenticated")
    assert await records(ebr, batch_id, user="olga") == []


def olga(station: str) -> Actor:
    return Actor(user_id="olga", full_name="Olga Okafor", roles=(Role.OPERATOR,), station=station)


def stored(ebr: Ebr, batch_id: str) -> list[str]:
    with session_scope(ebr.engine) as session:
        return [r.record_id for r in list_batch_records(session=session, batch_id=batch_id)]


def refusal_type(error: WorkflowUpdateFailedError) -> str | None:
    """The ``type`` of the first ApplicationError in the failure's cause chain."""
    cause: BaseException | None = error.cause
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.type
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return None


async def test_a_signature_replayed_onto_another_batch_is_refused(ebr: Ebr) -> None:
    """An attacker with Temporal access sends batch A's signed record to batch B's workflow."""
    batch_a, batch_b = await started(ebr), await started(ebr)
    assert (await complete(ebr, "olga", batch_a, "line-clearance", CLEARANCE)).status_code == 200
    original = (await records(ebr, batch_a))[0]
    payload = RecordPayload.model_validate_json(original["signed"]["payload"])
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = ebr.temporal.get_workflow_handle(batch_b)

    def action(signed: RecordPayload) -> SignedAction:
        return SignedAction(
            actor=olga(signed.station),
            payload=signed,
            signature=original["signed"]["signature"],
            key_id=original["signed"]["key_id"],
            entered=CLEARANCE,
        )

    with pytest.raises(WorkflowUpdateFailedError) as replayed:
        await handle.execute_update(BatchWorkflow.sign, action(payload))
    assert refusal_type(replayed.value) == "payload_mismatch"
    assert stored(ebr, batch_b) == []

    # The payload edited to name batch B (same recipe, B's chain head), the signature kept:
    # the workflow finds nothing wrong with the content, the activity finds the signature bad.
    edited = payload.model_copy(update={"chain": batch_chain(batch_b)})
    assert (edited.seq, edited.prev_hash) == (1, GENESIS)
    with pytest.raises(WorkflowUpdateFailedError) as forged:
        await handle.execute_update(BatchWorkflow.sign, action(edited))
    assert refusal_type(forged.value) == "bad_signature"
    assert stored(ebr, batch_b) == []
    assert await records(ebr, batch_b) == []

    # Batch B is not wedged by the refusals: its first record is still seq 1 on the genesis hash.
    answer = await complete(ebr, "olga", batch_b, "line-clearance", CLEARANCE)
    assert answer.status_code == 200, answer.text
    first = (await records(ebr, batch_b))[0]
    assert (first["seq"], first["signed"]["prev_hash"]) == (1, GENESIS)
    verify_record(ebr, first)
    assert stored(ebr, batch_a) == [original["record_id"]], "batch A is untouched"


async def test_signed_values_edited_under_the_old_signature_are_refused(ebr: Ebr) -> None:
    """The same batch and step, the signed values changed: refused by the activity."""
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 1)
    # Sign the weighing for real, take its signature, and offer it over other values instead.
    weighing = {"powder-lot": "PWD-0042", "powder-mass": "10.01"}
    head = (await records(ebr, batch_id))[-1]
    genuine = await complete(ebr, "olga", batch_id, "weigh-powder", weighing)
    assert genuine.status_code == 200
    signed = (await records(ebr, batch_id))[-1]
    payload = RecordPayload.model_validate_json(signed["signed"]["payload"])
    assert payload.prev_hash == head["signed"]["record_hash"]
    other_batch = await started(ebr)
    await run_steps(ebr, other_batch, 0, 1)
    other_head = (await records(ebr, other_batch))[-1]
    heavier = {"powder-lot": "PWD-0042", "powder-mass": "10.02"}
    with session_scope(ebr.engine) as session:
        row = get_recipe(session=session, code="DEMO-SHORT", version=1)
        assert row is not None
        step = recipe_of(row).step("weigh-powder")
    assert step is not None
    typed = payload.model_copy(
        update={
            "chain": batch_chain(other_batch),
            "prev_hash": other_head["signed"]["record_hash"],
            "values": validate_values(step, heavier),
        }
    )
    assert typed.values != payload.values
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = ebr.temporal.get_workflow_handle(
        other_batch
    )
    before = stored(ebr, other_batch)
    action = SignedAction(
        actor=olga(payload.station),
        payload=typed,
        signature=signed["signed"]["signature"],
        key_id=signed["signed"]["key_id"],
        entered=heavier,
    )
    with pytest.raises(WorkflowUpdateFailedError) as forged:
        await handle.execute_update(BatchWorkflow.sign, action)
    assert refusal_type(forged.value) == "bad_signature"
    assert stored(ebr, other_batch) == before

    # Through the API's own path the activity's refusal is a 422, not a server error.
    commands = Commands(client=ebr.temporal, engine=ebr.engine, task_queue=ebr.task_queue)
    with pytest.raises(Refusal) as answered:
        await commands.update(other_batch, BatchWorkflow.sign, action)
    assert (status_of(answered.value), answered.value.code) == (422, "bad_signature")
    assert stored(ebr, other_batch) == before


def wrapped_key_of(ebr: Ebr, user_id: str) -> tuple[WrappedKey, str]:
    """The user's wrapped key as stored, and their stored password hash."""
    with session_scope(ebr.engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        key = active_key(session=session, user_id=user_id)
        assert key is not None
        return WrappedKey.from_json(key.wrapped), user.password_hash


def test_nothing_the_server_keeps_opens_a_users_signing_key(ebr: Ebr) -> None:
    """With the store and the data directory in hand, the server still cannot sign as olga."""
    wrapped, password_hash = wrapped_key_of(ebr, "olga")
    directory = ebr.data_dir
    api_secret = load_secret(None, directory)  # the file a default install keeps
    ca = load_ca(pki_dir(directory), passphrase=None)  # the CA key opens without a passphrase
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"api-secret", "ca-key.pem", "checkpoint-key.pem"}
    candidates = [
        "wrong",
        api_secret,
        TOKEN_SECRET,
        password_hash,
        wrapped.to_json(),
        ca.key.private_numbers().private_value.to_bytes(32, "big").hex(),
        *(p.read_bytes().decode("utf-8", "replace") for p in files),
        *(p.read_bytes().decode("utf-8", "replace").strip() for p in files),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        with pytest.raises(WrongPassword):
            unwrap_key(wrapped, candidate)
    assert unwrap_key(wrapped, "ebr-demo-okafor").public_key().public_bytes_raw() == (
        wrapped.public_key
    ), "the control: olga's password opens it"


async def test_a_step_signed_elsewhere_moves_the_chain_and_the_api_follows(ebr: Ebr) -> None:
    """Another API process (here: the Temporal client directly) records a step: this process's
    idea of the chain head is stale. Its next signature is refused by the workflow as
    ``chain_moved`` and made again on the head the refusal names; the chain stays whole."""
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 1)  # line clearance, through this API
    head = (await records(ebr, batch_id))[-1]
    weighing = {"powder-lot": "PWD-0042", "powder-mass": "10.01"}
    with session_scope(ebr.engine) as session:
        recipe_row = get_recipe(session=session, code="DEMO-SHORT", version=1)
        assert recipe_row is not None
        recipe = recipe_of(recipe_row)
        key_row = active_key(session=session, user_id="olga")
        assert key_row is not None
        wrapped, key_id = key_row.wrapped, key_row.key_id
    step = recipe.step("weigh-powder")
    assert step is not None
    payload = RecordPayload(
        chain=batch_chain(batch_id),
        recipe_hash=recipe.content_hash(),
        seq=head["seq"] + 1,
        prev_hash=head["signed"]["record_hash"],
        subject=step_subject("weigh-powder"),
        execution=1,
        meaning="performed",
        values=validate_values(step, weighing),
        signer={"user_id": "olga", "full_name": "Olga Okafor"},
        station=STATION,
        signed_at=datetime.now(UTC),
    )
    key = unwrap_key(WrappedKey.from_json(wrapped), "ebr-demo-okafor")
    _, signature = sign_payload(key, payload.signable())
    commands = Commands(client=ebr.temporal, engine=ebr.engine, task_queue=ebr.task_queue)
    elsewhere = await commands.update(
        batch_id,
        BatchWorkflow.sign,
        SignedAction(
            actor=olga(STATION),
            payload=payload,
            key_id=key_id,
            signature=b64encode(signature.value).decode(),
            entered=weighing,
        ),
    )
    assert elsewhere.record.seq == head["seq"] + 1

    # The weighing awaits verification: sam verifies through this API, on a head it never saw.
    answer = await ebr.post(
        "sam",
        f"/api/batches/{batch_id}/steps/weigh-powder/verify",
        json={"signature": sign("sam", "verified")},
    )
    assert answer.status_code == 200, answer.text
    listed = await records(ebr, batch_id)
    assert [r["seq"] for r in listed] == [1, 2, 3, 4]
    for previous, record in zip(listed, listed[1:], strict=False):
        assert record["signed"]["prev_hash"] == previous["signed"]["record_hash"]
        verify_record(ebr, record)
