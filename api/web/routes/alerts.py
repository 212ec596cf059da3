"""The alerts page, for administrators and QA: every lockout, newest first, with what to do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ContextDep
from api.web.rendering import WebRoute, page
from api.web.session import WebUserDep
from ebr.accounts.alerts import ALERTED
from ebr.domain.refusals import RoleNotAllowed
from ebr.store.alerts import list_alerts
from ebr.store.db import session_scope

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    if not user.has(*ALERTED):
        raise RoleNotAllowed(
            "the alerts are for administrators and QA",
            {"required_roles": [r.value for r in ALERTED]},
        )
    with session_scope(context.reads) as session:
        rows = list_alerts(session=session, limit=200)
    return page(request, "alerts.html", user=user, title="Alerts", alerts=rows)
