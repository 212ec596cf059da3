"""Attacks on a record of each subject kind and of chains outside any batch, with where
``ebr verify`` must point (as in ``attacks``: plain SQL, the triggers dropped by the caller).

The targets are batch B-A's weighing (a step, seq 2), QA's disposition of B-A-DEV-1 (seq 7),
QA's lift of hold B-A-H1 (seq 8) and the release of the batch (seq 11, the chain's last); then
the second record of lot LOT-7 and adam's change of omar's roles (seq 3 of his account, its
last); and QA's approval of redline
B-RL-RL1 (seq 3 of batch B-RL). Each is attacked the same ways:
a column edited (the payload intact), the record re-signed with another user's key, re-signed
consistently as someone else, removed, swapped with the record before it, moved to another
chain; a decision is also moved to another deviation or hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, update

from ebr.domain.recipe import Recipe
from ebr.domain.signed_records import RecordPayload, Signer
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind, batch_chain
from ebr.store.batches import BatchRow
from ebr.store.recipes import RecipeRow
from tests.factories import small_recipe
from tests.verification.attacks import (
    RECORDS,
    Attack,
    by_id,
    in_chain,
    replace_signed,
    set_record,
    stored_payload,
)
from tests.verification.site import ACCOUNT, DISPOSITION, LOT, NAMES, WEIGHT, Site

__all__ = ["CHAIN_ATTACKS", "Target", "TARGETS"]


@dataclass(frozen=True)
class Target:
    """A record to attack: its id, its chain and place, what follows it, and the column edits
    that make sense for its kind (each an edit of the columns alone)."""

    name: str
    record_id: str
    signer: str
    chain: Chain
    seq: int
    columns: dict[str, Any]
    after: str | None = None  # the record after it in its chain; None: it is the chain's last
    audited: str = ""  # the key of ``Site.facts`` giving its audit entry's idx


_CHECKED = [{"name": "clean", "type": "check", "value": True, "unit": None, "entered": None,
             "in_spec": None, "critical": False}]  # fmt: skip
B_A = batch_chain("B-A")
B_RL = batch_chain("B-RL")

TARGETS = [
    Target(
        "batch-step",
        "B-A/weigh-api/1/performed",
        "olga",
        B_A,
        2,
        {
            "subject_kind": "hold",
            "subject_id": "clean-check",
            "chain_id": "B-Z",
            "batch_id": "B-B",
            "meaning": "verified",
            "values": [{**WEIGHT.model_dump(mode="json"), "value": "24.00"}],
            "detail": {"decision": "accept"},
            "reason": "scale was fine",
        },
        after="B-A/weigh-api/1/verified",
    ),
    Target(
        "deviation",
        "B-A/deviation:B-A-DEV-1/approved",
        "quinn",
        B_A,
        7,
        {
            "subject_kind": "hold",
            "subject_id": "B-A-DEV-2",
            "chain_id": "B-Z",
            "meaning": "rejected",
            "values": _CHECKED,
            "detail": {**DISPOSITION, "decision": "reject"},
            "reason": "no investigation needed",
        },
        after="B-A/hold:B-A-H1/approved",
    ),
    Target(
        "hold",
        "B-A/hold:B-A-H1/approved",
        "quinn",
        B_A,
        8,
        {
            "subject_kind": "deviation",
            "subject_id": "B-A-H2",
            "chain_id": "B-Z",
            "meaning": "rejected",
            "values": _CHECKED,
            "detail": {"lifted": "early"},
            "reason": "nobody asked",
        },
        after="B-A/deviation:B-A-DEV-2/approved",
    ),
    Target(
        "batch",
        "B-A/batch:B-A/released",
        "rita",
        B_A,
        11,
        {
            "subject_kind": "deviation",
            "subject_id": "B-B",
            "chain_id": "B-Z",
            "meaning": "rejected",
            "values": _CHECKED,
            "detail": {"override": True},
            "reason": "released without review",
        },
        audited="released",
    ),
    Target(
        "lot",
        "lot:LOT-7/2",
        "quinn",
        LOT,
        2,
        {
            "subject_kind": "account",
            "subject_id": "LOT-8",
            "chain_id": "LOT-8",
            "batch_id": "B-A",
            "meaning": "rejected",
            "detail": {"status": "quarantined"},
            "reason": "looked fine",
        },
        audited="lot_approved",
    ),
    Target(
        "account",
        "account:omar/3",
        "adam",
        ACCOUNT,
        3,
        {
            "subject_kind": "lot",
            "subject_id": "olga",
            "chain_id": "olga",
            "meaning": "rejected",
            "detail": {"roles": ["qa"]},
            "reason": "promoted himself",
        },
        audited="account_approved",
    ),
    Target(
        "redline",
        "B-RL/redline:B-RL-RL1/approved",
        "quinn",
        B_RL,
        3,
        {
            "subject_kind": "hold",
            "subject_id": "B-RL-RL2",
            "chain_id": "B-Z",
            "meaning": "rejected",
            "values": _CHECKED,
            "detail": {"content_hash": "0" * 64},
            "reason": "approved in a hurry",
        },
        after="B-RL/weigh-api/1/performed",
    ),
]


def _column_edit(target: Target, column: str, value: Any) -> Attack:
    def edit(connection: Connection, site: Site) -> None:
        set_record(connection, target.record_id, **{column: value})

    return Attack(
        f"{target.name}: edit column {column}",
        edit,
        "signed_records",
        target.record_id,
        f"column {column} is {value!r} but the signed payload says",
    )


OTHER = "omar"
"""Whose key an attacker re-signs with (no target is omar's)."""


def _resigned_with_another_key(target: Target) -> Attack:
    """The content changed (its reason) and re-signed with someone else's key, the signer left."""

    def edit(connection: Connection, site: Site) -> None:
        payload = stored_payload(connection, target.record_id)
        forged = payload.model_copy(update={"reason": "changed afterwards"})
        replace_signed(connection, target.record_id, forged, site.users[OTHER])

    return Attack(
        f"{target.name}: re-signed with another user's key",
        edit,
        "signed_records",
        target.record_id,
        f"is certified for {OTHER!r}, but the payload's signer is {target.signer!r}",
    )


def _resigned_as_another(target: Target) -> Attack:
    """Re-signed as someone else, with their key, every column agreeing: only the chain (the
    next record names the old hash) or, for a chain's last record, its audit entry tells."""

    def edit(connection: Connection, site: Site) -> None:
        payload = stored_payload(connection, target.record_id)
        assert payload.signer.user_id == target.signer
        other = site.users[OTHER]
        signer = Signer(user_id=OTHER, full_name=NAMES[OTHER])
        replace_signed(connection, target.record_id, payload.model_copy(update={"signer": signer}), other)  # fmt: skip

    if target.after is not None:
        table, entry = "signed_records", target.after
        problem = f"chain broken at {target.after}: prev_hash"
    else:
        table, entry = "audit_log", "idx {" + target.audited + "}"  # a key of Site.facts
        problem = f"for {target.record_id}, whose hash"
    return Attack(f"{target.name}: re-signed as another user", edit, table, entry, problem)


def _removed(target: Target) -> Attack:
    def edit(connection: Connection, site: Site) -> None:
        connection.execute(delete(RECORDS).where(RECORDS.c.record_id == target.record_id))

    if target.after is not None:
        entry, problem = f"{target.chain} seq {target.seq}", "is missing"
    else:
        entry, problem = target.record_id, "records it being signed, but it is missing"
    return Attack(f"{target.name}: removed", edit, "signed_records", entry, problem)


def _swapped(target: Target) -> Attack:
    """Swapped with the record before it in the chain (seq and chain link columns both)."""

    def edit(connection: Connection, site: Site) -> None:
        before = in_chain(connection, target.chain, target.seq - 1)
        mine = by_id(connection, target.record_id)
        set_record(connection, target.record_id, seq=-1, prev_hash=before.prev_hash)
        set_record(connection, before.record_id, seq=target.seq, prev_hash=mine.prev_hash)
        set_record(connection, target.record_id, seq=target.seq - 1)

    return Attack(
        f"{target.name}: swapped with the record before it",
        edit,
        "signed_records",
        target.record_id,
        f"column seq is {target.seq - 1} but the signed payload says {target.seq}",
    )


def _moved(target: Target, chain: Chain, seq: int) -> Attack:
    """Moved to ``seq`` of another chain, its batch column following."""

    def edit(connection: Connection, site: Site) -> None:
        batch_id = chain.id if chain.kind is ChainKind.BATCH else None
        values = {"chain_kind": chain.kind.value, "chain_id": chain.id, "batch_id": batch_id}
        set_record(connection, target.record_id, seq=seq, **values)

    column, value, signed = (
        ("chain_kind", chain.kind.value, target.chain.kind.value)
        if chain.kind is not target.chain.kind
        else ("chain_id", chain.id, target.chain.id)
    )
    return Attack(
        f"{target.name}: moved to {chain}",
        edit,
        "signed_records",
        target.record_id,
        f"column {column} is {value!r} but the signed payload says {signed!r}",
    )


def _decided_for_another(target: Target, other: str) -> list[Attack]:
    """A decision made to be about another deviation or hold: in the columns (its id too), in
    the payload re-hashed but not re-signed, and re-signed with the signer's own stolen key."""
    kind = SubjectKind(target.name)
    moved_id = f"B-A/{kind.value}:{other}/approved"

    def columns(connection: Connection, site: Site) -> None:
        set_record(connection, target.record_id, subject_id=other, record_id=moved_id)

    def payload(connection: Connection, site: Site, *, resign: bool) -> None:
        original = by_id(connection, target.record_id)
        signed = RecordPayload.model_validate_json(original.payload)
        forged = signed.model_copy(update={"subject": Subject(kind=kind, id=other)})
        replace_signed(connection, target.record_id, forged, site.users[signed.signer.user_id])
        if not resign:  # the signature over the real payload kept
            set_record(connection, moved_id, signature=original.signature)

    return [
        Attack(
            f"{target.name}: decision moved to {other} (columns)",
            columns,
            "signed_records",
            moved_id,
            f"column record_id is {moved_id!r} but the signed payload says {target.record_id!r}",
        ),
        Attack(
            f"{target.name}: decision moved to {other} (payload, old signature)",
            lambda c, s: payload(c, s, resign=False),
            "signed_records",
            moved_id,
            "the signature does not verify",
        ),
        Attack(
            f"{target.name}: decision moved to {other} (re-signed with the signer's key)",
            lambda c, s: payload(c, s, resign=True),
            "signed_records",
            str(target.after),
            f"chain broken at {target.after}",
        ),
    ]


def _first_lot_record_removed(connection: Connection, site: Site) -> None:
    connection.execute(delete(RECORDS).where(RECORDS.c.record_id == "lot:LOT-7/1"))


RECIPES = RecipeRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
BATCHES = BatchRow.__table__  # type: ignore[attr-defined]
REVISION = "TEST-MIX v1 revision 1"


def _recipe_hash_edited(connection: Connection, site: Site) -> None:
    connection.execute(
        update(RECIPES).where(RECIPES.c.code == "TEST-MIX").values(content_hash="0" * 64)
    )


def _rewritten_recipe() -> Recipe:
    """The approved recipe with one limit widened, as an insider would write it."""
    recipe = small_recipe()
    data = recipe.model_dump(mode="json")
    data["procedure"][0]["operations"][0]["steps"][1]["instructions"] = "Weigh, any amount."
    return Recipe.model_validate(data)


def _recipe_rewritten(connection: Connection, site: Site) -> None:
    """Body and hash rewritten together: a valid recipe, hashed right, that nobody saved."""
    forged = _rewritten_recipe()
    body = forged.canonical_json().decode("utf-8")
    connection.execute(
        update(RECIPES)
        .where(RECIPES.c.code == "TEST-MIX")
        .values(body=body, content_hash=forged.content_hash())
    )


def _revision_inserted(connection: Connection, site: Site) -> None:
    forged = _rewritten_recipe()
    connection.execute(
        insert(RECIPES).values(
            code="TEST-MIX",
            version=1,
            revision=2,
            name=forged.name,
            product_code=forged.product.code,
            product_name=forged.product.name,
            content_hash=forged.content_hash(),
            source="forged",
            body=forged.canonical_json().decode("utf-8"),
            step_count=5,
            loaded_by="sam",
            loaded_at=datetime(2026, 11, 25, 11, tzinfo=UTC),
        )
    )


def _recipe_deleted(connection: Connection, site: Site) -> None:
    connection.execute(delete(RECIPES).where(RECIPES.c.code == "TEST-MIX"))


def _started_before_approval(connection: Connection, site: Site) -> None:
    earlier = datetime(2026, 11, 25, tzinfo=UTC)  # before the recipe was approved
    connection.execute(
        update(BATCHES).where(BATCHES.c.batch_id == "B-B").values(created_at=earlier)
    )


def _recipe_attacks() -> list[Attack]:
    """The recipes table: each tampering named against what was audited or signed."""
    return [
        Attack("recipe: its content hash edited", _recipe_hash_edited, "recipes", REVISION,
               "its body hashes to"),
        Attack("recipe: its body and hash rewritten together", _recipe_rewritten, "recipes",
               REVISION, "recorded saving"),
        Attack("recipe: its only revision deleted", _recipe_deleted, "recipes", REVISION,
               "the row is missing"),
        Attack("recipe: a revision inserted", _revision_inserted, "recipes",
               "TEST-MIX v1 revision 2", "no audit entry records saving it",
               refused_by_triggers=False),
        Attack("batch: started before its recipe was approved", _started_before_approval,
               "batches", "B-B", "no version of TEST-MIX was effective then",
               refused_by_triggers=False),
    ]  # fmt: skip


def _all() -> list[Attack]:
    found: list[Attack] = []
    for target in TARGETS:
        found += [_column_edit(target, c, v) for c, v in target.columns.items()]
        found += [_resigned_with_another_key(target), _resigned_as_another(target)]
        found += [_removed(target), _swapped(target)] if target.seq > 1 else [_removed(target)]
    found += [
        _moved(TARGETS[0], batch_chain("B-B"), 7),
        _moved(TARGETS[1], batch_chain("B-B"), 7),
        _moved(TARGETS[2], batch_chain("B-B"), 7),
        _moved(TARGETS[3], batch_chain("B-B"), 7),
        _moved(TARGETS[4], Chain(kind=LOT.kind, id="LOT-8"), 1),
        _moved(TARGETS[4], ACCOUNT, 4),
        _moved(TARGETS[5], Chain(kind=ACCOUNT.kind, id="eve"), 1),
        _moved(TARGETS[6], batch_chain("B-B"), 7),
        Attack(
            "lot: its first record removed",
            _first_lot_record_removed,
            "signed_records",
            f"{LOT} seq 1",
            "is missing",
        ),
    ]
    found += _decided_for_another(TARGETS[1], "B-A-DEV-3")
    found += _decided_for_another(TARGETS[2], "B-A-H3")
    return found + _recipe_attacks()


CHAIN_ATTACKS = _all()
