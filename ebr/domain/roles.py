"""The roles a user can hold; a step names the one role that may perform it. An administrator
manages accounts and holds no GMP role (``GMP_ROLES``), so no one who grants roles also takes the
decisions those roles allow."""

from collections.abc import Iterable
from enum import StrEnum

from ebr.domain.refusals import RoleNotAllowed


class Role(StrEnum):
    """``author`` writes master recipes (process engineering); ``admin`` manages accounts and
    takes no GMP decision."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    QA = "qa"
    AUDITOR = "auditor"
    ADMIN = "admin"
    AUTHOR = "author"


GMP_ROLES: frozenset[Role] = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.QA, Role.AUTHOR})
"""The roles that do or decide GMP work; none of them is held together with ``admin``."""


def check_takes_part(roles: Iterable[Role], what: str) -> None:
    """Refuse GMP work (``what``, say "start a batch") to an administrator, who holds no GMP
    role (the API and the workflows check it as well as the roles a thing needs)."""
    if Role.ADMIN in set(roles):
        raise RoleNotAllowed(
            f"an administrator takes no part in GMP work and may not {what}",
            {"refused_role": Role.ADMIN.value},
        )
