"""A recipe version's life under change control: who may do what, in which order, and when it
starts batches; every refusal in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.recipe_change_control import (
    check_approve,
    check_edit,
    check_retire,
    check_return,
    check_review,
    check_startable,
    check_submit,
)
from ebr.domain.recipe_versions import (
    RecipeSignature,
    RecipeState,
    RecipeVersion,
    recipe_chain,
    recipe_subject,
)
from ebr.domain.refusals import (
    ReasonRequired,
    RecipeNotEffective,
    RecipeStateError,
    RoleNotAllowed,
    SegregationOfDuties,
)
from ebr.domain.roles import Role

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HASH = "c0" * 32
AUTHOR = Actor(user_id="ada", full_name="Ada Author", roles=(Role.AUTHOR,))
REVIEWER = Actor(user_id="sam", full_name="Sam Supervisor", roles=(Role.SUPERVISOR,))
QA = Actor(user_id="quinn", full_name="Quinn QA", roles=(Role.QA,))
QA_2 = Actor(user_id="rita", full_name="Rita QA", roles=(Role.QA,))
ADMIN_QA = Actor(user_id="adam", full_name="Adam Admin", roles=(Role.ADMIN, Role.QA))
OPERATOR = Actor(user_id="olga", full_name="Olga", roles=(Role.OPERATOR,))


def draft() -> RecipeVersion:
    return RecipeVersion(code="GRAN", version=2, content_hash=HASH, author="ada")


def signed(
    version: RecipeVersion, actor: Actor, meaning: Meaning, minutes: int, **kw: object
) -> RecipeVersion:
    signature = RecipeSignature(
        meaning=meaning,
        user_id=actor.user_id,
        full_name=actor.full_name,
        at=T0 + timedelta(minutes=minutes),
        content_hash=version.content_hash,
        reason=kw.pop("reason", None),  # type: ignore[arg-type]
    )
    return version.with_signature(signature, **kw)  # type: ignore[arg-type]


def approved(effective_in: timedelta = timedelta(0)) -> RecipeVersion:
    version = signed(draft(), AUTHOR, Meaning.AUTHORED, 1)
    version = signed(version, REVIEWER, Meaning.REVIEWED, 2)
    return signed(
        version, QA, Meaning.APPROVED, 3, effective_from=T0 + timedelta(minutes=3) + effective_in
    )


def test_subject_and_chain_are_the_versions_own() -> None:
    assert recipe_subject("GRAN", 2).id == recipe_chain("GRAN", 2).id == "GRAN/2"
    assert recipe_subject("GRAN", 2).kind.chain_kind is recipe_chain("GRAN", 2).kind


def test_the_whole_life_from_draft_to_superseded() -> None:
    version = draft()
    assert version.state_at(T0) is RecipeState.DRAFT
    check_edit(version, actor=AUTHOR, code="GRAN", number=2)
    check_submit(version, actor=AUTHOR, problems=0)
    version = signed(version, AUTHOR, Meaning.AUTHORED, 1)
    assert version.state_at(T0) is RecipeState.IN_REVIEW
    check_review(version, actor=REVIEWER)
    version = signed(version, REVIEWER, Meaning.REVIEWED, 2)
    assert version.state_at(T0) is RecipeState.IN_REVIEW and version.reviewed is not None
    later = T0 + timedelta(days=1)
    check_approve(version, actor=QA, effective_from=later, now=T0)
    version = signed(version, QA, Meaning.APPROVED, 3, effective_from=later)
    assert version.state_at(T0 + timedelta(hours=1)) is RecipeState.APPROVED
    assert version.state_at(later) is RecipeState.EFFECTIVE
    superseded = version.model_copy(update={"superseded_at": later + timedelta(days=30)})
    assert superseded.state_at(later + timedelta(days=31)) is RecipeState.SUPERSEDED
    check_retire(superseded, actor=QA_2, reason="product discontinued", now=later)
    retired = signed(superseded, QA_2, Meaning.RETIRED, 4, reason="product discontinued")
    assert retired.state_at(later) is RecipeState.RETIRED


def test_sent_back_to_draft_with_comments_then_submitted_again() -> None:
    version = signed(draft(), AUTHOR, Meaning.AUTHORED, 1)
    with pytest.raises(ReasonRequired):
        check_return(version, actor=REVIEWER, reason="  ")
    check_return(version, actor=REVIEWER, reason="step 4's limits are the old SOP's")
    version = signed(version, REVIEWER, Meaning.REJECTED, 2, reason="old limits")
    assert version.state_at(T0) is RecipeState.DRAFT
    check_edit(version, actor=AUTHOR, code="GRAN", number=2)
    version = signed(version, AUTHOR, Meaning.AUTHORED, 3)
    assert version.reviewed is None, "the review of the earlier submission does not count"
    with pytest.raises(RecipeStateError, match="not reviewed yet"):
        check_approve(version, actor=QA, effective_from=T0, now=T0)


@pytest.mark.parametrize(
    ("actor", "error", "words"),
    [
        (OPERATOR, RoleNotAllowed, "only an author"),
        (REVIEWER, RoleNotAllowed, "only an author"),
        (
            Actor(user_id="al", full_name="Al", roles=(Role.ADMIN, Role.AUTHOR)),
            SegregationOfDuties,
            "administrator",
        ),
    ],
)
def test_only_an_author_writes_and_submits_a_draft(
    actor: Actor, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        check_edit(None, actor=actor, code="GRAN", number=2)
    with pytest.raises(error, match=words):
        check_submit(draft(), actor=actor, problems=0)


def test_another_author_does_not_submit_someone_elses_draft_nor_one_with_dry_run_errors() -> None:
    other = Actor(user_id="ali", full_name="Ali Author", roles=(Role.AUTHOR,))
    with pytest.raises(SegregationOfDuties, match="ada's draft"):
        check_submit(draft(), actor=other, problems=0)
    with pytest.raises(RecipeStateError, match="dry run .* finds 2 problem"):
        check_submit(draft(), actor=AUTHOR, problems=2)


def test_author_reviewer_and_approver_are_three_people_and_the_approver_holds_qa() -> None:
    version = signed(draft(), AUTHOR, Meaning.AUTHORED, 1)
    author_qa = Actor(user_id="ada", full_name="Ada", roles=(Role.AUTHOR, Role.QA))
    with pytest.raises(SegregationOfDuties, match="wrote recipe"):
        check_review(version, actor=author_qa)
    with pytest.raises(RoleNotAllowed, match="supervisor or QA"):
        check_review(version, actor=OPERATOR)
    reviewed = signed(version, QA, Meaning.REVIEWED, 2)
    with pytest.raises(RecipeStateError, match="reviewed by quinn already"):
        check_review(reviewed, actor=QA_2)
    with pytest.raises(SegregationOfDuties, match="a third person approves"):
        check_approve(reviewed, actor=QA, effective_from=T0, now=T0)
    with pytest.raises(SegregationOfDuties, match="wrote recipe"):
        check_approve(reviewed, actor=author_qa, effective_from=T0, now=T0)
    with pytest.raises(RoleNotAllowed, match="only QA"):
        check_approve(reviewed, actor=REVIEWER, effective_from=T0, now=T0)
    with pytest.raises(SegregationOfDuties, match="administrator"):
        check_approve(reviewed, actor=ADMIN_QA, effective_from=T0, now=T0)
    check_approve(reviewed, actor=QA_2, effective_from=T0, now=T0)


def test_an_effective_date_in_the_past_is_refused() -> None:
    reviewed = signed(signed(draft(), AUTHOR, Meaning.AUTHORED, 1), REVIEWER, Meaning.REVIEWED, 2)
    with pytest.raises(RecipeStateError, match="not in the past"):
        check_approve(reviewed, actor=QA, effective_from=T0 - timedelta(days=1), now=T0)


def test_transitions_out_of_order_are_refused() -> None:
    with pytest.raises(RecipeStateError, match="is draft, not in review"):
        check_review(draft(), actor=REVIEWER)
    with pytest.raises(RecipeStateError, match="only an approved version is retired"):
        check_retire(draft(), actor=QA, reason="x", now=T0)
    with pytest.raises(RecipeStateError, match="a new version is written as a draft"):
        check_edit(approved(), actor=AUTHOR, code="GRAN", number=2)
    with pytest.raises(ReasonRequired):
        check_retire(approved(), actor=QA, reason="", now=T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("version", "at", "words"),
    [
        (draft(), T0, "it is a draft"),
        (signed(draft(), AUTHOR, Meaning.AUTHORED, 1), T0, "it is in review"),
        (approved(timedelta(days=2)), T0 + timedelta(days=1), "effective only from"),
        (
            approved().model_copy(update={"superseded_at": T0 + timedelta(hours=1)}),
            T0 + timedelta(hours=2),
            "superseded",
        ),
        (
            signed(approved(), QA_2, Meaning.RETIRED, 9, reason="gone"),
            T0 + timedelta(hours=1),
            "retired",
        ),
        (None, T0, "no signed history"),
    ],
)
def test_only_an_effective_version_starts_a_batch(
    version: RecipeVersion | None, at: datetime, words: str
) -> None:
    with pytest.raises(RecipeNotEffective, match=words) as refused:
        check_startable(version, code="GRAN", number=2, now=at)
    assert refused.value.details["recipe_version"] == 2


def test_an_effective_version_starts_a_batch() -> None:
    check_startable(approved(), code="GRAN", number=2, now=T0 + timedelta(hours=1))
