"""The roles a user can hold; a step names the one role that may perform it."""

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
