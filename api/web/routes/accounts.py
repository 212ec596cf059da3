"""The accounts page: every account with its roles, state and whose signature confirmed its
holder; for administrators the signed forms that create and change accounts (roles, disable,
enable, unlock, password reset), for QA and supervisors the signed confirmation of a person's
identity. Every form goes through what the JSON routes use (``api.accounts``); a recorded one is
answered with a redirect, a refused one with the page again and the refusal in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.account_schemas import AccountAct
from api.accounts import ACCOUNT_ACTIONS, act_on_account
from api.context import ApiContext
from api.deps import ContextDep
from api.refusals import UnknownAction
from api.web.forms import shown_again, submit
from api.web.rendering import WebRoute, page
from api.web.session import WebUser, WebUserDep, require_csrf
from api.web.views import FormState
from ebr.accounts.throttle import is_locked
from ebr.domain.refusals import RoleNotAllowed
from ebr.domain.roles import Role
from ebr.store.db import session_scope
from ebr.store.users import list_users, roles_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

READERS = (Role.ADMIN, Role.QA, Role.SUPERVISOR)


@dataclass(frozen=True)
class AccountView:
    user_id: str
    full_name: str
    roles: tuple[Role, ...]
    active: bool
    locked: bool
    created_by: str
    confirmed_by: str | None


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    return _view(request, context, user, None)


@router.post("/accounts", response_class=HTMLResponse)
async def create(request: Request, context: ContextDep, user: WebUserDep) -> Response:
    return await _posted(request, context, user, "create", "")


@router.post("/accounts/{user_id}/{action}", response_class=HTMLResponse)
async def change(
    user_id: str, action: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    return await _posted(request, context, user, action, user_id)


async def _posted(
    request: Request, context: ApiContext, user: WebUser, action: str, user_id: str
) -> Response:
    form = await request.form()
    require_csrf(form, user)
    known = ACCOUNT_ACTIONS.get(action)
    if known is None:
        raise UnknownAction(f"there is no account action {action!r}", {"action": action})
    shown = shown_again(known.model, form, action=action, target=user_id)

    async def send(body: AccountAct) -> object:
        target = getattr(body, "user_id", user_id)
        act = partial(act_on_account, context, action=action, signer_id=user.user_id)
        return await act(station=user.station, user_id=target, body=body)

    state = await submit(known.model, form, send, user=user, shown=shown)
    if state is None:
        anchor = quote(user_id or shown.entered.get("user_id", ""))
        return RedirectResponse(f"/accounts?done={action}#account-{anchor}", status_code=303)
    return await run_in_threadpool(_view, request, context, user, state)


def _view(
    request: Request, context: ApiContext, user: WebUser, state: FormState | None
) -> HTMLResponse:
    if not user.has(*READERS):
        raise RoleNotAllowed(
            "the accounts are for administrators, and for QA and supervisors, who confirm "
            "identities",
            {"required_roles": [r.value for r in READERS]},
        )
    now = datetime.now(UTC)
    with session_scope(context.reads) as session:
        shown = [
            AccountView(
                u.user_id,
                u.full_name,
                roles_of(u),
                u.active,
                is_locked(u, now=now),
                u.created_by,
                u.identity_confirmed_by,
            )
            for u in list_users(session=session)
        ]
    known = ACCOUNT_ACTIONS.get(request.query_params.get("done", ""))
    return page(
        request,
        "accounts.html",
        user=user,
        status_code=state.status if state else 200,
        title="Accounts",
        accounts=shown,
        roles=list(Role),
        state=state,
        done=known.done if known else "",
    )
