"""The roles a user can hold; a step names the one role that may perform it. An administrator
manages accounts and holds no GMP role (``GMP_ROLES``), so no one who grants roles also takes the
decisions those roles allow."""

from enum import StrEnum


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
