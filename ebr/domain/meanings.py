"""What a person's signature means (21 CFR 11.50(a)(3)): a fixed vocabulary, with its words."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Meaning"]


class Meaning(StrEnum):
    """The meaning a signature carries; ``label`` is how pages and reports say it."""

    PERFORMED = "performed"
    VERIFIED = "verified"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"
    CORRECTED = "corrected"
    AUTHORED = "authored"
    RETIRED = "retired"
    PROPOSED = "proposed"
    CLASSIFIED = "classified"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Meaning.PERFORMED: "Performed",
    Meaning.VERIFIED: "Verified",
    Meaning.REVIEWED: "Reviewed",
    Meaning.APPROVED: "Approved",
    Meaning.RELEASED: "Released",
    Meaning.REJECTED: "Rejected",
    Meaning.CORRECTED: "Corrected",
    Meaning.AUTHORED: "Authored",
    Meaning.RETIRED: "Retired",
    Meaning.PROPOSED: "Proposed",
    Meaning.CLASSIFIED: "Classified",
}
