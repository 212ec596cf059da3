"""The audit trail, for QA and auditors: every event, filtered by batch, user, entity or time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from api.deps import ZONED, ReadSessionDep, RequireRole
from api.schemas import AuditEntryView
from ebr.domain.roles import Role
from ebr.store.audit import list_audit
from ebr.store.users import UserRow

router = APIRouter(prefix="/api/audit", tags=["audit"])

Reviewer = Annotated[UserRow, Depends(RequireRole(Role.QA, Role.AUDITOR, Role.ADMIN))]


@router.get("", response_model=list[AuditEntryView])
def audit_trail(
    _: Reviewer,
    session: ReadSessionDep,
    batch_id: str | None = None,
    user: Annotated[str | None, Query(description="who acted")] = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description=ZONED)] = None,
    until: Annotated[AwareDatetime | None, Query(description=ZONED)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[AuditEntryView]:
    rows = list_audit(
        session=session,
        batch_id=batch_id,
        actor=user,
        entity=entity,
        entity_id=entity_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return [AuditEntryView.model_validate(row, from_attributes=True) for row in rows]
