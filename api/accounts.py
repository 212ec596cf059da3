"""Signed acts on accounts over HTTP: the signer's password opens their key for this act alone,
and the act is signed on the account's chain and applied in one transaction
(``ebr.accounts``). Checked before any password is tried: the signature's meaning is the act's,
and a reason is given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.account_schemas import AccountAct
from api.context import ApiContext
from api.deps import station_of
from api.refusals import WrongMeaning
from api.routes.auth import user_public
from api.schemas import UserPublic
from ebr.accounts import Controls, Signatory, open_signatory
from ebr.domain.account_events import AccountEvent
from ebr.domain.refusals import ReasonRequired
from ebr.store.users import UserRow

__all__ = ["signed_act"]


async def signed_act(
    context: ApiContext,
    request: Request,
    signer: UserRow,
    body: AccountAct,
    event: AccountEvent,
    act: Callable[[Signatory, datetime], UserRow],
) -> UserPublic:
    """Sign ``body``'s act (``event``) as ``signer`` (the session's owner) and apply it: ``act``
    gets the signatory and the time. Raises ``wrong_meaning`` and ``reason_required`` before the
    password is tried, then the signing ceremony's refusals and the account rules'."""
    meaning = event.meaning
    if body.signature.meaning is not meaning:
        raise WrongMeaning(
            f"this act is signed as {meaning.value!r}, not {body.signature.meaning.value!r}",
            {"field": "signature.meaning"},
        )
    if not body.reason.strip():
        raise ReasonRequired(f"{event.label} needs a reason", {"field": "reason"})
    station, now = station_of(request), context.now()

    def run() -> UserRow:
        signatory = open_signatory(
            context.engine,
            user_id=signer.user_id,
            claimed_user_id=body.signature.user_id,
            password=body.signature.password,
            station=station,
            now=now,
            controls=Controls.of(context.settings),
        )
        return act(signatory, now)

    return user_public(await run_in_threadpool(run))
