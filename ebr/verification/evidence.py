"""The columns verification reads, as plain values: from a store row or from a bundle's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

__all__ = ["KeyEvidence", "RecordEvidence"]


@dataclass(frozen=True, slots=True)
class RecordEvidence:
    """One ``step_records`` row: the columns an auditor reads and the signed evidence."""

    record_id: str
    batch_id: str
    seq: int
    step_id: str
    execution: int
    meaning: str
    values: Any
    comment: str | None
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime
    payload: str | None
    record_hash: str | None
    prev_hash: str | None
    signature: str | None
    key_id: str | None
    corrects: str | None

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
        """Parse what ``to_json`` wrote. Raises ``ValueError``/``KeyError`` on a malformed entry."""
        values = {name: data[name] for name in _RECORD_FIELDS}
        values["recorded_at"] = datetime.fromisoformat(data["recorded_at"])
        if values["recorded_at"].tzinfo is None:
            raise ValueError("recorded_at has no time zone")
        return cls(**values)


_RECORD_FIELDS = [f.name for f in fields(RecordEvidence)]


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
