"""Signing checkpoints of the audit log: its size and Merkle root, signed with the site key."""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ebr.store.audit import leaf_hashes
from ebr.store.checkpoints import get_checkpoint, save_checkpoint
from ebr.store.db import session_scope
from ebr.trust import SiteTrust
from ebr.witness import WitnessConflict, witness_checkpoint
from signatures.checkpoints import Checkpoint, sign_checkpoint
from signatures.merkle import MerkleTree
from workflows.messages import CheckpointWritten


class AuditLogActivities:
    """Holds the store, the site's checkpoint key and the witness directory (if any)."""

    def __init__(self, engine: Engine, trust: SiteTrust, witness: Path | None = None) -> None:
        self._engine = engine
        self._trust = trust
        self._witness = witness

    @activity.defn(name="write_checkpoint")
    def write_checkpoint(self) -> CheckpointWritten:
        """Sign the log as it stands and hand the checkpoint to the witness; a size already
        checkpointed is witnessed again (idempotent), not signed again."""
        written = self._signed()
        if self._witness is not None:
            try:
                witness_checkpoint(self._witness, Checkpoint.from_json(written.document))
            except WitnessConflict as conflict:  # retrying cannot help: an alarm, not a retry
                raise ApplicationError(str(conflict), non_retryable=True) from None
        return CheckpointWritten(
            tree_size=written.tree_size, root_hash=written.root_hash, created=written.created
        )

    def _signed(self) -> _Signed:
        with session_scope(self._engine) as session:
            tree = MerkleTree(leaf_hashes(session=session))
            root = tree.root()
            existing = get_checkpoint(session=session, tree_size=tree.size)
            if existing is not None:
                return _Signed(tree.size, existing.root_hash, existing.document, created=False)
            now = datetime.now(UTC)
            checkpoint = sign_checkpoint(
                self._trust.checkpoint_key,
                origin=self._trust.origin,
                tree_size=tree.size,
                root_hash=root,
                timestamp=now,
            )
            save_checkpoint(
                session=session,
                tree_size=tree.size,
                root_hash=root.hex(),
                at=now,
                origin=self._trust.origin,
                key_id=checkpoint.key_id,
                signature=b64encode(checkpoint.signature).decode("ascii"),
                document=checkpoint.to_json(),
            )
        return _Signed(tree.size, root.hex(), checkpoint.to_json(), created=True)


@dataclass(frozen=True)
class _Signed:
    tree_size: int
    root_hash: str
    document: str
    created: bool
