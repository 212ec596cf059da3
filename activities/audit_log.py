"""Signing checkpoints of the audit log: its size and Merkle root, signed with the site key."""

from __future__ import annotations

from base64 import b64encode
from datetime import UTC, datetime

from sqlalchemy import Engine
from temporalio import activity

from ebr.store.audit import leaf_hashes
from ebr.store.checkpoints import get_checkpoint, save_checkpoint
from ebr.store.db import session_scope
from ebr.trust import SiteTrust
from signatures.checkpoints import sign_checkpoint
from signatures.merkle import MerkleTree
from workflows.messages import CheckpointWritten


class AuditLogActivities:
    def __init__(self, engine: Engine, trust: SiteTrust) -> None:
        self._engine = engine
        self._trust = trust

    @activity.defn(name="write_checkpoint")
    def write_checkpoint(self) -> CheckpointWritten:
        """Sign the log as it stands; a size already checkpointed is returned, not signed again."""
        with session_scope(self._engine) as session:
            tree = MerkleTree(leaf_hashes(session=session))
            root = tree.root()
            existing = get_checkpoint(session=session, tree_size=tree.size)
            if existing is not None:
                return CheckpointWritten(
                    tree_size=tree.size, root_hash=existing.root_hash, created=False
                )
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
        return CheckpointWritten(tree_size=tree.size, root_hash=root.hex(), created=True)
