"""Insert-once for keyed rows: a retry with equal content is a no-op, other content a Conflict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from ebr.store.errors import StoreError

RowT = TypeVar("RowT", bound=SQLModel)


def insert_once(
    *,
    session: Session,
    row: RowT,
    fields: Sequence[str],
    find: Callable[[], RowT | None],
    differs: Callable[[RowT, list[str]], StoreError],
    collides: Callable[[], StoreError],
) -> tuple[RowT, bool]:
    """Insert ``row`` unless its key exists; return ``(row, created)``.

    Callers are activities that may be retried after a crash at any moment, and two processes may
    race on the same key. The insert is tried first, in a savepoint (the common case costs one
    statement); if the key is taken, the violation is rolled back and the stored row is read and
    compared: the same content is a retry, other content is an error.

    ``find`` reads the row with the same key; ``fields`` are compared with it; ``differs``
    builds the error for the same key with other content (given the differing field names);
    ``collides`` builds the error when the insert broke a constraint but no row has this key.
    """
    try:
        with session.begin_nested():
            session.add(row)
        return row, True
    except IntegrityError:
        # The usual cause is a retry of a write that already happened: read what is there.
        if row in session:
            session.expunge(row)
        existing = find()
        if existing is None:
            raise collides() from None
    changed = [name for name in fields if getattr(existing, name) != getattr(row, name)]
    if changed:
        raise differs(existing, changed)
    return existing, False
