"""The signing block of the step and decision forms (21 CFR 11.50, 11.200): the signature
components a form carries, the checks made before the password is tried, and the signature itself.

A form asks for both components, user id and password, every time: that is what 11.200(a)(1)
requires of the first signing in a session, and is never less than it requires of later ones.
The password goes to ``api.signing.sign_step`` (or ``sign_decision``) and nowhere else: it is not kept in the form state,
written to a page, or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from api.context import ApiContext
from api.schemas import SignatureBody
from api.signing import sign_decision, sign_step
from api.web.forms import refused, text
from api.web.session import WebUser
from api.web.views import FormState
from ebr.accounts.errors import AccountError
from ebr.domain.records import Meaning
from ebr.domain.refusals import Refusal

__all__ = ["PASSWORD_FIELD", "USER_FIELD", "Signing", "decide", "sign", "signing_of"]

USER_FIELD = "sign_user_id"
PASSWORD_FIELD = "sign_password"
# The account controls name the component they refused; the form's fields are named apart.
_OF_FIELD = {"password": PASSWORD_FIELD, "user_id": USER_FIELD}


@dataclass(frozen=True)
class Signing:
    """The components typed into a signing block; ``repr`` never shows the password."""

    user_id: str
    password: str

    def __repr__(self) -> str:
        return f"Signing(user_id={self.user_id!r}, password=***)"


def signing_of(form: FormData) -> Signing:
    return Signing(user_id=text(form, USER_FIELD).strip(), password=text(form, PASSWORD_FIELD))


def _unsigned(step_id: str, action: str, field: str, message: str, status: int) -> FormState:
    return FormState(
        step_id=step_id,
        action=action,
        code="signature_refused" if status == 401 else "signature_incomplete",
        message=message,
        status=status,
        field_errors={field: ""},
    )


def check_signing(
    signing: Signing, user: WebUser, *, step_id: str, action: str
) -> FormState | None:
    """Refuse, before any password is tried, a signing block left empty or naming someone else."""
    if not signing.user_id:
        message = "enter your user id and password to sign: nothing was signed"
        return _unsigned(step_id, action, USER_FIELD, message, 422)
    if signing.user_id != user.user_id:
        message = (
            f"the user id entered ({signing.user_id}) is not the one signed in here "
            f"({user.user_id}): nothing was signed"
        )
        return _unsigned(step_id, action, USER_FIELD, message, 401)
    if not signing.password:
        message = "enter your password to sign: nothing was signed"
        return _unsigned(step_id, action, PASSWORD_FIELD, message, 422)
    return None


async def sign(
    context: ApiContext,
    user: WebUser,
    *,
    batch_id: str,
    step_id: str,
    action: str,
    meaning: Meaning,
    signing: Signing,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    reason: str | None = None,
) -> FormState | None:
    """Sign and record one step action; None when recorded, else the refusal in words.

    Refused in words: an empty or foreign signing block, a wrong password (it counts toward the
    lockout), a locked account, values or rules the workflow refuses, a chain that kept moving.
    """
    state = check_signing(signing, user, step_id=step_id, action=action)
    if state is not None:
        return state
    try:
        await sign_step(
            context=context,
            actor=user.actor,
            batch_id=batch_id,
            step_id=step_id,
            meaning=meaning,
            signature=SignatureBody(
                meaning=meaning, password=signing.password, user_id=signing.user_id
            ),
            entered=values,
            comment=comment,
            reason=reason,
        )
    except Refusal as exc:
        return _refused(exc, step_id=step_id, action=action)
    return None


async def decide(
    context: ApiContext,
    user: WebUser,
    *,
    batch_id: str,
    subject: str,
    action: str,
    target: str,
    meaning: Meaning,
    signing: Signing,
    comment: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> FormState | None:
    """Sign one batch-level decision (release, rejection, disposition, hold lift) through
    ``api.signing.sign_decision``; None when the batch recorded it, else the refusal in words
    (``target`` names what the form acted on). Refused as ``sign`` refuses, and as the workflow
    refuses the decision itself (segregation of duties, what is missing for release...)."""
    state = check_signing(signing, user, step_id="", action=action)
    if state is None:
        try:
            await sign_decision(
                context=context,
                actor=user.actor,
                batch_id=batch_id,
                subject=subject,
                meaning=meaning,
                signature=SignatureBody(
                    meaning=meaning, password=signing.password, user_id=signing.user_id
                ),
                comment=comment,
                reason=reason,
                detail=detail,
            )
        except Refusal as exc:
            state = _refused(exc, step_id="", action=action)
    if state is not None:
        state.target, state.signer_id = target, signing.user_id
    return state


def _refused(exc: Refusal, *, step_id: str, action: str) -> FormState:
    state = refused(exc, step_id=step_id, action=action)
    if isinstance(exc, AccountError):
        state.field_errors = {_OF_FIELD.get(k, k): v for k, v in state.field_errors.items()}
    return state
