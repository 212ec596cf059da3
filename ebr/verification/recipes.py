"""Checking master recipes: every saved body is the one audited, every signature of a version names
a body that is stored, and every batch ran a version that was effective when it started.

The recipes table is evidence like the rest: a body rewritten together with its hash, a revision
deleted or inserted, a batch pointed at content nobody approved, each contradicts something signed
or audited (the audit log's ``recipe_draft_saved`` entries, the version's chain, the batch's
chain), and each is named here. The signatures and the audit entries themselves are checked
before (``check_signed_records``, ``check_audit_rows``): this module trusts them and holds the
rows to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from ebr.domain.recipe import Recipe
from ebr.domain.recipe_versions import RecipeVersion, effective_at, version_id
from ebr.verification.findings import Inconsistency

__all__ = [
    "BatchStart",
    "SavedRevision",
    "StoredRevision",
    "check_batch_recipes",
    "check_recipe_rows",
    "check_signed_contents",
]

TABLE = "recipes"


@dataclass(frozen=True)
class StoredRevision:
    """A row of the recipes table, as read."""

    code: str
    version: int
    revision: int
    content_hash: str
    body: str

    @property
    def entry(self) -> str:
        return f"{self.code} v{self.version} revision {self.revision}"


@dataclass(frozen=True)
class SavedRevision:
    """An audited save of a revision (``recipe_draft_saved``): what the row must hold."""

    idx: int
    code: str
    version: int
    revision: int
    content_hash: str


@dataclass(frozen=True)
class BatchStart:
    """A batch row's recipe and the moment it started."""

    batch_id: str
    recipe_code: str
    recipe_version: int
    recipe_hash: str
    started_at: datetime


def check_recipe_rows(rows: Sequence[StoredRevision], saved: Iterable[SavedRevision]) -> int:
    """Each row's body hashes to its content hash, is the recipe its row names, and is the
    content its audited save recorded; each audited save has its row. Returns the rows checked.

    Raises:
        Inconsistency: table ``recipes`` naming the revision.
    """
    audited = {(s.code, s.version, s.revision): s for s in saved}
    for row in rows:
        _check_body(row)
        save = audited.pop((row.code, row.version, row.revision), None)
        if save is None:
            raise Inconsistency(
                table=TABLE, entry=row.entry, problem="no audit entry records saving it"
            )
        if save.content_hash != row.content_hash:
            raise Inconsistency(
                table=TABLE,
                entry=row.entry,
                problem=f"its content hash is {row.content_hash}, but audit entry idx "
                f"{save.idx} recorded saving {save.content_hash}",
            )
    for (code, version, revision), save in sorted(audited.items()):
        raise Inconsistency(
            table=TABLE,
            entry=f"{code} v{version} revision {revision}",
            problem=f"audit entry idx {save.idx} recorded saving it, and the row is missing",
        )
    return len(rows)


def check_signed_contents(
    versions: Sequence[RecipeVersion], rows: Sequence[StoredRevision]
) -> None:
    """Every signature of a version (authored, reviewed, approved, retired) names a content
    stored for that version: what was approved is what a batch can be shown to have run.

    Raises:
        Inconsistency: table ``recipes`` naming the version and the signature.
    """
    stored = {(row.code, row.version, row.content_hash) for row in rows}
    for version in versions:
        for signature in version.signatures:
            if not signature.content_hash:
                continue
            if (version.code, version.version, signature.content_hash) not in stored:
                raise Inconsistency(
                    table=TABLE,
                    entry=f"{version.code} v{version.version}",
                    problem=f"the {signature.meaning.value} signature of {signature.user_id} "
                    f"at {signature.at.isoformat()} names content {signature.content_hash}, "
                    "which no stored revision of this version holds",
                )


def check_batch_recipes(
    batches: Iterable[BatchStart], versions: dict[str, list[RecipeVersion]]
) -> int:
    """Each batch's recipe hash is the approved content of the version it names, and that
    version was the effective one of its code when the batch started. Returns batches checked.

    Raises:
        Inconsistency: table ``batches`` naming the batch.
    """
    checked = 0
    for batch in batches:
        name = f"{batch.recipe_code} v{batch.recipe_version}"
        effective = effective_at(versions.get(batch.recipe_code, []), batch.started_at)
        if effective is None or effective.version != batch.recipe_version:
            then = f"v{effective.version}" if effective else "no version"
            raise Inconsistency(
                table="batches",
                entry=batch.batch_id,
                problem=f"it started at {batch.started_at.isoformat()} on {name}, but {then} "
                f"of {batch.recipe_code} was effective then",
            )
        if effective.content_hash != batch.recipe_hash:
            raise Inconsistency(
                table="batches",
                entry=batch.batch_id,
                problem=f"its recipe hash is {batch.recipe_hash}, but {name} was approved "
                f"with content {effective.content_hash}",
            )
        checked += 1
    return checked


def _check_body(row: StoredRevision) -> None:
    actual = hashlib.sha256(row.body.encode("utf-8")).hexdigest()
    if actual != row.content_hash:
        raise Inconsistency(
            table=TABLE,
            entry=row.entry,
            problem=f"its body hashes to {actual}, not to its content hash {row.content_hash}",
        )
    try:
        recipe = Recipe.model_validate_json(row.body)
    except ValidationError:
        raise Inconsistency(
            table=TABLE, entry=row.entry, problem="its body is not a recipe"
        ) from None
    if version_id(recipe.code, recipe.version) != version_id(row.code, row.version):
        raise Inconsistency(
            table=TABLE,
            entry=row.entry,
            problem=f"its body is recipe {recipe.code} v{recipe.version}",
        )
    if recipe.content_hash() != row.content_hash:
        raise Inconsistency(
            table=TABLE, entry=row.entry, problem="its body is not the recipe's canonical JSON"
        )
