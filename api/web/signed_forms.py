"""The signing block of the step and decision forms (21 CFR 11.50, 11.200).

Its two fields, and the check made of them against the session before the password is tried. A
form asks for both components, user id and password, every time: that is what 11.200(a)(1)
requires of the first signing in a session, and is never less than it requires of later ones. The
form is read into its request model's ``signature`` (``api.web.forms.parse_form``); the password
goes from there to ``api.signing`` and nowhere else: it is not kept in the form state, written to a
page, or logged.
"""

from __future__ import annotations

from api.refusals import SignatureIncomplete
from api.schemas import SignatureBody
from api.web.session import WebUser
from ebr.accounts.errors import SignatureRefused

__all__ = ["PASSWORD_FIELD", "SIGNING_FIELDS", "USER_FIELD", "check_signer", "signing_field"]

USER_FIELD = "sign_user_id"
PASSWORD_FIELD = "sign_password"
# Each component of ``SignatureBody`` and the form field that carries it; the account controls
# name the component they refuse, and the form marks its own field.
SIGNING_FIELDS = {"user_id": USER_FIELD, "password": PASSWORD_FIELD}


def signing_field(component: str) -> str:
    """The form field of a signature's component (``password``: ``sign_password``)."""
    return SIGNING_FIELDS.get(component, component)


def check_signer(signature: SignatureBody, user: WebUser) -> None:
    """Refuse, before any password is tried, a signing block with no user id or someone else's (the
    model has refused an empty password already)."""
    if not signature.user_id:
        raise SignatureIncomplete(
            "enter your user id and password to sign: nothing was signed", {"field": USER_FIELD}
        )
    if signature.user_id != user.user_id:
        raise SignatureRefused(
            f"the user id entered ({signature.user_id}) is not the one signed in here "
            f"({user.user_id}): nothing was signed",
            {"field": USER_FIELD},
        )
