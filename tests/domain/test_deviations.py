"""Deviations: the stages in order, who may act at each, what they do to the batch, and rework."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepStatus
from ebr.domain.deviation_decisions import Classification, Decision, Disposition
from ebr.domain.deviations import (
    Deviation,
    Investigation,
    Origin,
    Stage,
    apply_capa,
    apply_classify,
    apply_disposition,
    apply_investigate,
    apply_outcome,
    blocks_release,
    check_capa,
    check_classify,
    check_disposition,
    check_investigate,
    check_new_deviation,
    deviation_id,
    find_deviation,
    holds_batch,
)
from ebr.domain.execution import (
    apply_complete,
    apply_verify,
    check_complete,
    check_verify,
    out_of_limit_policy,
)
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import (
    CommentRequired,
    DeviationStateError,
    ReasonRequired,
    RefusalKind,
    ReworkInvalid,
    RoleNotAllowed,
    TransitionNotAllowed,
    UnknownDeviation,
    UnknownStep,
)
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord, step_record_id
from ebr.domain.values import RecordedValue
from tests.domain.builders import (
    AUDITOR,
    OPERATOR,
    OPERATOR_2,
    QA,
    SUPERVISOR,
    SUPERVISOR_2,
    T0,
    mini_recipe,
    start_batch,
    step_record,
)

LATER = T0 + timedelta(hours=1)
WHY = "no impact on the product"


def _opened(**extra: Any) -> Deviation:
    fields: dict[str, Any] = {
        "id": deviation_id("B-0001", 1),
        "batch_id": "B-0001",
        "opened_at": T0,
        "opened_by": "olga",
        "origin": Origin.OUT_OF_LIMIT,
        "description": "Net mass 10.100 kg out of limits",
        "step_id": "weigh-api",
        "execution": 1,
    }
    return Deviation(**(fields | extra))


def _found(*affected: str) -> Investigation:
    return Investigation(
        root_cause="scoop too large",
        impact="none on quality",
        affected_steps=affected,
        by="sam",
        at=T0,
    )


def _investigated(**extra: Any) -> Deviation:
    dev = _opened(**extra)
    check_investigate(dev, mini_recipe(), actor=SUPERVISOR, found=_found("weigh-api"))
    return apply_investigate(dev, _found("weigh-api"))


def _classified(classification: Classification = Classification.MINOR, **extra: Any) -> Deviation:
    dev = _investigated(**extra)
    check_classify(dev, actor=QA, classification=classification, reason=WHY)
    return apply_classify(dev, actor=QA, classification=classification, reason=WHY, at=T0)


def _ruling(decision: Decision, *steps: str, reason: str = "justified") -> Disposition:
    return Disposition(decision=decision, reason=reason, rework_steps=steps, by="quinn", at=LATER)


def _status(state: BatchState) -> BatchStatus:
    """The status read afresh: mypy would otherwise keep an earlier assert's narrowing."""
    return state.status


def _finished(recipe: Recipe) -> BatchState:
    """A mini batch with every step done, through the real rules."""
    state = start_batch(recipe)
    good: dict[str, dict[str, Any]] = {
        "line-clearance": {"area-clear": True},
        "weigh-api": {"lot": "L-1", "mass": "10.01"},
        "close-lid": {},
        "mix": {"speed": "low", "time": 10},
        "supervisor-check": {"ok": True},
        "qa-release": {"released": True},
    }
    performer = {"supervisor-check": SUPERVISOR, "qa-release": QA}
    for step in recipe.steps():
        actor = performer.get(step.id, OPERATOR)
        check_complete(state, recipe, step_id=step.id, actor=actor, values=good[step.id])
        apply_complete(state, recipe, step_id=step.id, actor=actor, at=T0)
        if step.verify:
            verifier = SUPERVISOR_2 if step.id == "supervisor-check" else OPERATOR_2
            check_verify(state, recipe, step_id=step.id, actor=verifier)
            apply_verify(state, recipe, step_id=step.id, actor=verifier, at=T0)
    return state


# opening ----------------------------------------------------------------------------------------


def test_anyone_opens_a_deviation_with_a_description() -> None:
    check_new_deviation(
        mini_recipe(),
        actor=OPERATOR,
        description="powder spilled on the floor",
        step_id="weigh-api",
    )
    check_new_deviation(mini_recipe(), actor=AUDITOR, description="strange smell in room 3")
    dev = _opened(origin=Origin.MANUAL, opened_by=AUDITOR.user_id)
    assert (dev.stage, dev.classification, dev.disposition, dev.capa_ref) == (
        Stage.OPEN,
        None,
        None,
        None,
    )
    assert dev.id == "B-0001-DEV-001"


@pytest.mark.parametrize("description", [None, "", "  "])
def test_a_deviation_needs_a_description(description: str | None) -> None:
    with pytest.raises(ReasonRequired) as caught:
        check_new_deviation(mini_recipe(), actor=OPERATOR, description=description)
    assert caught.value.details == {"field": "description"}


def test_a_deviation_names_a_known_step() -> None:
    with pytest.raises(UnknownStep) as caught:
        check_new_deviation(mini_recipe(), actor=OPERATOR, description="x", step_id="weigh-apl")
    assert caught.value.details == {"step_id": "weigh-apl"}


def test_an_administrator_opens_no_deviation() -> None:
    admin = Actor(user_id="adam", full_name="Adam Admin", roles=(Role.ADMIN, Role.AUDITOR))
    with pytest.raises(RoleNotAllowed) as caught:
        check_new_deviation(mini_recipe(), actor=admin, description="I saw something")
    assert caught.value.message == (
        "an administrator takes no part in GMP work and may not open a deviation"
    )


# out-of-limit values ----------------------------------------------------------------------------


def _value(name: str, in_spec: bool | None, critical: bool = False) -> RecordedValue:
    return RecordedValue(
        name=name, type="number", value="1", unit="kg", in_spec=in_spec, critical=critical
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (False, False)),
        ([_value("a", True), _value("b", None, critical=True)], (False, False)),
        ([_value("a", False)], (True, False)),
        ([_value("a", True, critical=True), _value("b", False)], (True, False)),
        ([_value("a", False, critical=True)], (True, True)),
    ],
)
def test_out_of_limit_policy(values: list[RecordedValue], expected: tuple[bool, bool]) -> None:
    assert out_of_limit_policy(values, "operator's note") == expected


def test_out_of_limit_policy_without_values_out_needs_no_comment() -> None:
    assert out_of_limit_policy([_value("a", True)], None) == (False, False)


@pytest.mark.parametrize("comment", [None, "", "  "])
def test_an_out_of_limit_value_needs_a_comment(comment: str | None) -> None:
    with pytest.raises(CommentRequired) as caught:
        out_of_limit_policy([_value("mass", False, True), _value("lot", True)], comment)
    error = caught.value
    assert (error.code, error.kind) == ("comment_required", RefusalKind.INVALID)
    assert error.details == {"field": "comment", "out_of_limit": ["mass"]}


def test_a_critical_out_of_limit_deviation_holds_until_classified_minor() -> None:
    dev = _opened(critical=True)
    assert holds_batch(dev) and blocks_release(dev)
    dev = _investigated(critical=True)
    assert holds_batch(dev)
    minor = apply_classify(dev, actor=QA, classification=Classification.MINOR, reason=WHY, at=T0)
    assert not holds_batch(minor) and blocks_release(minor)


@pytest.mark.parametrize(
    ("classification", "holds"),
    [(Classification.MINOR, False), (Classification.MAJOR, True), (Classification.CRITICAL, True)],
)
def test_what_a_classified_deviation_does_until_closed(
    classification: Classification, holds: bool
) -> None:
    dev = _classified(classification)
    assert holds_batch(dev) is holds
    assert blocks_release(dev)
    closed = apply_disposition(dev, _ruling(Decision.ACCEPT))
    assert not holds_batch(closed) and not blocks_release(closed)


def test_an_unclassified_non_critical_deviation_does_not_hold_but_blocks_release() -> None:
    dev = _opened()
    assert not holds_batch(dev) and blocks_release(dev)


# the stages in order, each by its role ----------------------------------------------------------


def test_the_full_life_of_a_deviation() -> None:
    recipe = mini_recipe()
    dev = _opened()
    found = _found("weigh-api", "mix")
    check_investigate(dev, recipe, actor=SUPERVISOR, found=found)
    dev = apply_investigate(dev, found)
    assert (dev.stage, dev.investigation) == (Stage.INVESTIGATED, found)
    check_classify(dev, actor=QA, classification=Classification.MAJOR, reason=WHY)
    dev = apply_classify(dev, actor=QA, classification=Classification.MAJOR, reason=WHY, at=LATER)
    assert (dev.stage, dev.classification, dev.classified_by, dev.classified_at) == (
        Stage.CLASSIFIED,
        Classification.MAJOR,
        "quinn",
        LATER,
    )
    state = _finished(recipe)
    ruling = _ruling(Decision.ACCEPT)
    check_disposition(dev, state, recipe, actor=QA, ruling=ruling)
    dev = apply_disposition(dev, ruling)
    assert (dev.stage, dev.disposition) == (Stage.CLOSED, ruling)
    assert apply_outcome(state, dev) == []
    assert state.status is BatchStatus.AWAITING_REVIEW


@pytest.mark.parametrize("actor", [OPERATOR, QA, AUDITOR])
def test_only_a_supervisor_investigates(actor: Actor) -> None:
    with pytest.raises(RoleNotAllowed) as caught:
        check_investigate(_opened(), mini_recipe(), actor=actor, found=_found())
    assert caught.value.details == {"deviation_id": "B-0001-DEV-001", "required_role": "supervisor"}
    assert caught.value.message == "only a supervisor may investigate a deviation"


@pytest.mark.parametrize("field", ["root_cause", "impact"])
def test_an_investigation_needs_root_cause_and_impact(field: str) -> None:
    found = _found().model_copy(update={field: "  "})
    with pytest.raises(ReasonRequired) as caught:
        check_investigate(_opened(), mini_recipe(), actor=SUPERVISOR, found=found)
    assert caught.value.details == {"field": field}


def test_affected_steps_must_be_known() -> None:
    with pytest.raises(UnknownStep) as caught:
        check_investigate(_opened(), mini_recipe(), actor=SUPERVISOR, found=_found("mix", "dry"))
    assert caught.value.details == {"step_id": "dry"}


@pytest.mark.parametrize("actor", [SUPERVISOR, OPERATOR])
def test_only_qa_classifies(actor: Actor) -> None:
    with pytest.raises(RoleNotAllowed) as caught:
        check_classify(
            _investigated(), actor=actor, classification=Classification.MAJOR, reason=WHY
        )
    assert caught.value.details["required_role"] == "qa"
    assert caught.value.message == "only QA may classify a deviation"


def test_only_qa_dispositions() -> None:
    recipe = mini_recipe()
    with pytest.raises(RoleNotAllowed):
        check_disposition(
            _classified(),
            _finished(recipe),
            recipe,
            actor=SUPERVISOR,
            ruling=_ruling(Decision.ACCEPT),
        )


def test_stages_cannot_be_skipped_or_repeated() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    accept = _ruling(Decision.ACCEPT)
    cases: list[tuple[Callable[[], None], str, str]] = [
        (
            lambda: check_classify(
                _opened(), actor=QA, classification=Classification.MAJOR, reason=WHY
            ),
            "open",
            "investigated",
        ),
        (
            lambda: check_disposition(_opened(), state, recipe, actor=QA, ruling=accept),
            "open",
            "classified",
        ),
        (
            lambda: check_investigate(_investigated(), recipe, actor=SUPERVISOR, found=_found()),
            "investigated",
            "open",
        ),
        (
            lambda: check_disposition(_investigated(), state, recipe, actor=QA, ruling=accept),
            "investigated",
            "classified",
        ),
        (
            lambda: check_classify(
                _classified(), actor=QA, classification=Classification.MAJOR, reason=WHY
            ),
            "classified",
            "investigated",
        ),
        (
            lambda: check_disposition(
                apply_disposition(_classified(), accept), state, recipe, actor=QA, ruling=accept
            ),
            "closed",
            "classified",
        ),
    ]
    for attempt, stage, expected in cases:
        with pytest.raises(DeviationStateError) as caught:
            attempt()
        assert caught.value.details == {
            "deviation_id": "B-0001-DEV-001",
            "stage": stage,
            "expected": expected,
        }
        assert caught.value.kind is RefusalKind.CONFLICT


def test_the_stage_refusal_reads_well() -> None:
    with pytest.raises(DeviationStateError) as caught:
        check_classify(_opened(), actor=QA, classification=Classification.MAJOR, reason=WHY)
    assert caught.value.message == (
        "deviation B-0001-DEV-001 is open, not investigated: it cannot be classified"
    )


# disposition ------------------------------------------------------------------------------------


def test_a_disposition_needs_a_reason() -> None:
    recipe = mini_recipe()
    with pytest.raises(ReasonRequired) as caught:
        check_disposition(
            _classified(),
            _finished(recipe),
            recipe,
            actor=QA,
            ruling=_ruling(Decision.ACCEPT, reason=" "),
        )
    assert caught.value.details == {"field": "reason"}


def test_a_reject_disposition_ends_the_batch_rejected() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    dev = _classified(Classification.CRITICAL)
    ruling = _ruling(Decision.REJECT, reason="API potency unknown")
    check_disposition(dev, state, recipe, actor=QA, ruling=ruling)
    dev = apply_disposition(dev, ruling)
    assert apply_outcome(state, dev) == []
    assert state.status is BatchStatus.REJECTED
    with pytest.raises(TransitionNotAllowed):
        check_disposition(_classified(), state, recipe, actor=QA, ruling=ruling)


@pytest.mark.parametrize("decision", [Decision.ACCEPT, Decision.REJECT])
def test_only_a_rework_names_steps(decision: Decision) -> None:
    recipe = mini_recipe()
    with pytest.raises(ReworkInvalid) as caught:
        check_disposition(
            _classified(), _finished(recipe), recipe, actor=QA, ruling=_ruling(decision, "mix")
        )
    assert caught.value.details == {"field": "rework_steps"}


def test_a_rework_names_at_least_one_step() -> None:
    recipe = mini_recipe()
    with pytest.raises(ReworkInvalid) as caught:
        check_disposition(
            _classified(), _finished(recipe), recipe, actor=QA, ruling=_ruling(Decision.REWORK)
        )
    assert caught.value.details == {"field": "rework_steps"}
    assert caught.value.message == "a rework must name the steps to redo"


def test_a_rework_names_known_steps_already_done_or_awaiting_verification() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    apply_complete(state, recipe, step_id="line-clearance", actor=OPERATOR, at=T0)
    with pytest.raises(UnknownStep):
        check_disposition(
            _classified(), state, recipe, actor=QA, ruling=_ruling(Decision.REWORK, "dry")
        )
    with pytest.raises(ReworkInvalid) as caught:
        check_disposition(
            _classified(),
            state,
            recipe,
            actor=QA,
            ruling=_ruling(Decision.REWORK, "line-clearance", "weigh-api"),
        )
    assert caught.value.details == {
        "field": "rework_steps",
        "step_id": "weigh-api",
        "status": "pending",
    }
    check_disposition(
        _classified(), state, recipe, actor=QA, ruling=_ruling(Decision.REWORK, "line-clearance")
    )


@pytest.mark.parametrize("status", [BatchStatus.RELEASED, BatchStatus.CANCELLED])
def test_a_decided_batch_cannot_be_reworked(status: BatchStatus) -> None:
    recipe = mini_recipe()
    state = _finished(recipe)
    state.status = status
    with pytest.raises(TransitionNotAllowed) as caught:
        check_disposition(
            _classified(), state, recipe, actor=QA, ruling=_ruling(Decision.REWORK, "mix")
        )
    assert caught.value.details["event"] == "reopen"


def _record(step_id: str, execution: int) -> SignedRecord:
    return step_record(
        "B-0001", step_id, Meaning.PERFORMED, T0, execution=execution, user_name="Olga Operator"
    )


def test_rework_reopens_the_named_steps_as_new_executions() -> None:
    recipe = mini_recipe()
    state = _finished(recipe)
    assert state.status is BatchStatus.AWAITING_REVIEW and state.completed_at == T0
    first_records = [_record("weigh-api", 1), _record("mix", 1)]
    dev = _classified(Classification.MAJOR)
    ruling = _ruling(Decision.REWORK, "weigh-api", "mix")
    check_disposition(dev, state, recipe, actor=QA, ruling=ruling)
    reopened = apply_outcome(state, apply_disposition(dev, ruling))

    assert [p.step_id for p in reopened] == ["weigh-api", "mix"]
    for progress in reopened:
        assert (progress.status, progress.execution) == (StepStatus.PENDING, 2)
        assert (progress.performed_by, progress.performed_at) == (None, None)
        assert (progress.verified_by, progress.verified_at) == (None, None)
    others = [p for p in state.steps if p.step_id not in ("weigh-api", "mix")]
    assert all(p.status is StepStatus.DONE and p.execution == 1 for p in others)
    assert _status(state) is BatchStatus.IN_PROGRESS and state.completed_at is None
    current = state.current()
    assert current is not None and current.step_id == "weigh-api"

    # The first execution's records keep their ids; the new execution's records get new ones.
    redo = step_record_id("B-0001", "weigh-api", 2, Meaning.PERFORMED)
    assert redo == "B-0001/weigh-api/2/performed"
    assert redo not in {r.record_id for r in first_records}

    # The reopened steps are done again through the ordinary rules, and the batch ends again.
    check_complete(
        state, recipe, step_id="weigh-api", actor=OPERATOR, values={"lot": "L-1", "mass": "10"}
    )
    apply_complete(state, recipe, step_id="weigh-api", actor=OPERATOR, at=LATER)
    apply_verify(state, recipe, step_id="weigh-api", actor=SUPERVISOR, at=LATER)
    check_complete(
        state, recipe, step_id="mix", actor=OPERATOR, values={"speed": "low", "time": 10}
    )
    apply_complete(state, recipe, step_id="mix", actor=OPERATOR, at=LATER)
    assert _status(state) is BatchStatus.AWAITING_REVIEW and state.completed_at == LATER


def test_a_second_rework_takes_the_next_execution_number() -> None:
    recipe = mini_recipe()
    state = _finished(recipe)
    for expected in (2, 3):
        dev = apply_disposition(_classified(), _ruling(Decision.REWORK, "close-lid"))
        (progress,) = apply_outcome(state, dev)
        assert progress.execution == expected
        apply_complete(state, recipe, step_id="close-lid", actor=OPERATOR, at=LATER)


def test_a_rework_while_on_hold_leaves_the_batch_on_hold() -> None:
    recipe = mini_recipe()
    state = _finished(recipe)
    state.status = BatchStatus.ON_HOLD
    apply_outcome(state, apply_disposition(_classified(), _ruling(Decision.REWORK, "mix")))
    assert state.status is BatchStatus.ON_HOLD
    assert state.completed_at == T0, "the lift of the hold decides where the batch goes next"


# CAPA and lookup --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [SUPERVISOR, QA])
def test_a_capa_is_attached_at_any_stage(actor: Actor) -> None:
    closed = apply_disposition(_classified(), _ruling(Decision.ACCEPT))
    for dev in (_opened(), closed):
        check_capa(dev, actor=actor, capa_ref="CAPA-2026-014")
        assert apply_capa(dev, capa_ref=" CAPA-2026-014 ").capa_ref == "CAPA-2026-014"


def test_a_capa_needs_a_supervisor_or_qa_and_a_reference() -> None:
    with pytest.raises(RoleNotAllowed):
        check_capa(_opened(), actor=OPERATOR, capa_ref="CAPA-1")
    with pytest.raises(ReasonRequired) as caught:
        check_capa(_opened(), actor=QA, capa_ref="")
    assert caught.value.details == {"field": "capa_ref"}


def test_find_deviation() -> None:
    dev = _opened()
    assert find_deviation([dev], "B-0001-DEV-001") == dev
    with pytest.raises(UnknownDeviation) as caught:
        find_deviation([dev], "B-0001-DEV-002")
    assert caught.value.details == {"deviation_id": "B-0001-DEV-002"}
    assert caught.value.kind is RefusalKind.NOT_FOUND


def test_the_enums_own_their_words_and_flags() -> None:
    assert [c.label for c in Classification] == ["Minor", "Major", "Critical"]
    assert [c for c in Classification if c.holds_batch] == [
        Classification.MAJOR,
        Classification.CRITICAL,
    ]
    assert [d for d in Decision if d.names_steps] == [Decision.REWORK]
    assert all(d.label for d in Decision) and all(o.label for o in Origin)
    assert Stage.INVESTIGATED.label == "Investigated"
