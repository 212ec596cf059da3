"""The report and record downloads of the batch pages, for QA and auditors.

The same as the API's, to the page's session, and audited the same way.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import ContextDep, station_of
from api.routes.reports import record_download, report_download
from api.web.rendering import WebRoute
from api.web.session import WebUser, WebUserDep
from ebr.domain.refusals import RoleNotAllowed
from ebr.domain.roles import Role

router = APIRouter(route_class=WebRoute, include_in_schema=False)

READERS = (Role.QA, Role.AUDITOR)


def _reader(user: WebUser) -> None:
    if not user.has(*READERS):
        raise RoleNotAllowed("this needs one of the roles: qa, auditor")


@router.get("/batches/{batch_id}/report.pdf")
async def report_pdf(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep, draft: bool = False
) -> Response:
    """The same report as ``GET /api/batches/{id}/report.pdf``, to the page's session; audited."""
    _reader(user)
    return await report_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request), draft=draft
    )


@router.get("/batches/{batch_id}/record.json")
async def record_json(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    """The same record as ``GET /api/batches/{id}/record.json``, to the page's session; audited."""
    _reader(user)
    return await record_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request)
    )
