"""The roles a user can hold; a step names the one role that may perform it."""

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    QA = "qa"
    AUDITOR = "auditor"
    ADMIN = "admin"
