"""The audit log's witness: every signed checkpoint also kept where the database cannot rewrite it.

An insider who can write the record store can delete the newest audit entries together with the
checkpoint rows that covered them, or rewrite the log and re-sign its checkpoints with a stolen
site key; the store alone then looks whole. A witness is an append-only directory
(``EBR_WITNESS_DIR``), meant for another volume or host (an NFS export with the append-only
attribute, a WORM bucket mounted as a directory): each checkpoint is one file, written once,
never replaced. ``ebr verify --witness DIR`` proves the log extends every checkpoint there
(RFC 9162 consistency proofs) and is no shorter than the newest.
"""

from __future__ import annotations

import os
from pathlib import Path

from signatures.checkpoints import Checkpoint
from signatures.errors import MalformedInput

__all__ = ["WitnessConflict", "WitnessUnreadable", "witness_checkpoint", "witnessed_checkpoints"]

_PREFIX = "checkpoint-"


class WitnessConflict(Exception):
    """The witness holds another checkpoint of the same size: the log was rewritten since."""


class WitnessUnreadable(Exception):
    """A file of the witness directory is not a checkpoint."""


def witness_checkpoint(directory: Path, checkpoint: Checkpoint) -> Path:
    """Keep ``checkpoint`` in the witness; idempotent for the same checkpoint.

    The file is created exclusively and made read-only: an existing file is never replaced.

    Raises:
        WitnessConflict: the witness already holds a different checkpoint of this size.
        OSError: the directory cannot be written (the caller retries; nothing is lost, the
            checkpoint stays in the store).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_PREFIX}{checkpoint.tree_size:012d}.json"
    text = checkpoint.to_json()
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text + "\n")
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError:
        kept = path.read_text(encoding="utf-8").strip()
        if kept != text:
            raise WitnessConflict(
                f"the witness {path} holds another checkpoint of size {checkpoint.tree_size}: "
                "the audit log was rewritten after it was witnessed"
            ) from None
        return path
    path.chmod(0o444)
    return path


def witnessed_checkpoints(directory: Path) -> list[Checkpoint]:
    """Every checkpoint the witness holds, smallest first.

    Raises:
        WitnessUnreadable: a checkpoint file does not parse.
        OSError: the directory cannot be read.
    """
    found = []
    for path in sorted(directory.glob(f"{_PREFIX}*.json")):
        try:
            found.append(Checkpoint.from_json(path.read_text(encoding="utf-8")))
        except (MalformedInput, ValueError) as exc:
            raise WitnessUnreadable(f"{path} is not a checkpoint: {exc}") from None
    return sorted(found, key=lambda c: c.tree_size)
