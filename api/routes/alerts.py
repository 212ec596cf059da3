"""Alerts for administrators and QA (``ebr.accounts.alerts``): every lockout, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from api.deps import ZONED, ReadSessionDep, RequireRole
from ebr.accounts.alerts import ALERTED
from ebr.store.alerts import list_alerts
from ebr.store.users import UserRow

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

Alerted = Annotated[UserRow, Depends(RequireRole(*ALERTED))]


class AlertPublic(BaseModel):
    alert_id: int
    kind: str
    user_id: str
    raised_at: datetime
    message: str
    detail: Any = None


@router.get("", response_model=list[AlertPublic])
def alerts(
    _: Alerted,
    session: ReadSessionDep,
    since: Annotated[AwareDatetime | None, Query(description=ZONED)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertPublic]:
    """The alerts raised (``since``: at or after that time), newest first; admin and QA only."""
    rows = list_alerts(session=session, since=since, limit=limit)
    return [AlertPublic.model_validate(row, from_attributes=True) for row in rows]
