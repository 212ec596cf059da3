"""The columns verification reads, as plain values: from a store row or from a bundle's JSON.

They are kept as read, not parsed into domain types: verification compares each column with
what the signed payload says, so a column an attacker edited into something no domain type
accepts must still reach that comparison and be named there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from ebr.domain.subjects import Subject, SubjectKind

__all__ = ["KeyEvidence", "RecordEvidence"]


@dataclass(frozen=True, slots=True)
class RecordEvidence:
    """One ``signed_records`` row: the columns an auditor reads and the signed evidence."""

    record_id: str
    chain_kind: str
    chain_id: str
    seq: int
    subject_kind: str
    subject_id: str
    batch_id: str | None
    execution: int
    meaning: str
    values: Any
    comment: str | None
    reason: str | None
    corrects: str | None
    detail: Any
    recipe_hash: str | None
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime
    payload: str
    record_hash: str
    prev_hash: str
    signature: str
    key_id: str

    @property
    def chain_key(self) -> tuple[str, str]:
        """The chain the row says it is in, as read (for grouping before anything is trusted)."""
        return (self.chain_kind, self.chain_id)

    def subject(self) -> Subject:
        """The row's subject, typed. Raises ``ValueError`` for a kind or id no subject has."""
        return Subject(kind=SubjectKind(self.subject_kind), id=self.subject_id)

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> RecordEvidence:
        """From a mapping holding every field (a SQL result row's ``_mapping``)."""
        return cls(*(row[name] for name in _RECORD_FIELDS))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recorded_at"] = self.recorded_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordEvidence:
        """Parse what ``to_json`` wrote. Raises ``ValueError``/``KeyError`` on a malformed entry
        (a missing field, or one of the wrong JSON type), so no check meets a value it cannot
        compare."""
        values = {name: data[name] for name in _RECORD_FIELDS}
        for name, value in values.items():
            if not _of_json_type(name, value):
                raise ValueError(f"record field {name} is a {type(value).__name__}")
        values["recorded_at"] = datetime.fromisoformat(values["recorded_at"])
        if values["recorded_at"].tzinfo is None:
            raise ValueError("recorded_at has no time zone")
        return cls(**values)


_RECORD_FIELDS = [f.name for f in fields(RecordEvidence)]
_WHOLE = {"values", "detail"}  # compared with the payload's as they are, whatever they hold
_INTEGERS = {"seq", "execution"}
_NULLABLE = {"batch_id", "comment", "reason", "corrects", "recipe_hash"}


def _of_json_type(name: str, value: Any) -> bool:
    if name in _WHOLE:
        return True
    if name in _INTEGERS:
        return type(value) is int
    return type(value) is str or (value is None and name in _NULLABLE)


@dataclass(frozen=True, slots=True)
class KeyEvidence:
    """One ``user_keys`` row, without the wrapped private key (never exported)."""

    key_id: str
    user_id: str
    certificate_pem: str
    valid_from: datetime
    retired_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "user_id": self.user_id,
            "certificate_pem": self.certificate_pem,
            "valid_from": self.valid_from.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyEvidence:
        """Parse what ``to_json`` wrote. Raises ``ValueError``/``KeyError`` on a malformed entry."""
        retired = data["retired_at"]
        key = cls(
            key_id=str(data["key_id"]),
            user_id=str(data["user_id"]),
            certificate_pem=str(data["certificate_pem"]),
            valid_from=datetime.fromisoformat(data["valid_from"]),
            retired_at=datetime.fromisoformat(retired) if retired is not None else None,
        )
        if key.valid_from.tzinfo is None or (key.retired_at and key.retired_at.tzinfo is None):
            raise ValueError("key times have no time zone")
        return key
