"""A step signed from its request (performed, verified or corrected), and the step's answer.

The one call the step routes and the step forms make (``sign``), and how a step record is signed
(``sign_step``: the values typed against the recipe the batch runs, the execution and, for a
verification, the correction it verifies, read from the store; then ``api.signing``'s loop).
"""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from api import signing_hints as hints
from api.context import ApiContext
from api.schemas import SignatureBody, StepCompletion, StepCorrection, StepResult, StepVerification
from api.signing import Content, Signed, batch_target, check_meaning, sign_on_head
from ebr.domain.batch import Actor
from ebr.domain.execution import check_complete, check_correct
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import InvalidValues, UnknownStep
from ebr.domain.step_verification import VerificationDetail
from ebr.domain.subjects import step_subject
from ebr.domain.values import RecordedValue, validate_values
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import BatchOutcome, Recorded

__all__ = ["StepBody", "sign", "sign_step", "step_result"]

StepBody = StepCompletion | StepVerification | StepCorrection


async def sign(
    context: ApiContext, actor: Actor, body: StepBody, *, batch_id: str, step_id: str
) -> Signed[Recorded]:
    """Sign the step as ``body`` asks (its meaning is the request's: performed, verified or
    corrected) and have the batch record it (``sign_step``)."""
    return await sign_step(
        context=context,
        actor=actor,
        batch_id=batch_id,
        step_id=step_id,
        entered=None if isinstance(body, StepVerification) else body.values,
        reason=body.reason if isinstance(body, StepCorrection) else None,
        comment=body.comment,
        meaning=body.meaning,
        signature=body.signature,
    )


def step_result(signed: Signed[Recorded]) -> StepResult:
    """The step's answer: its record as stored, and where the step and the batch stand."""
    recorded = signed.recorded
    assert recorded.progress is not None, "a step record answers with the step's progress"
    return StepResult(
        record=signed.view,
        step_status=recorded.progress.status,
        batch_status=recorded.batch_status,
        steps_done=recorded.steps_done,
        steps_total=recorded.steps_total,
    )


async def sign_step(
    *,
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    step_id: str,
    meaning: Meaning,
    signature: SignatureBody,
    entered: dict[str, Any] | None = None,
    comment: str | None = None,
    reason: str | None = None,
) -> Signed[Recorded]:
    """Sign a step record (performed, verified or corrected) as ``actor`` and have it recorded.

    Checked here, before the password is tried: the signature's meaning is the action's, and the
    entered values fit the recipe the batch runs, its recipe version as its approved redlines
    change it (a value error on a step that may not be done now reports why it may not). The
    record is signed for the step's current execution: this process's last knowledge of it, or
    for a correction or a verification the store's (a correction names the record it corrects; a
    verification of corrected values names the latest correction, whose values it verifies); an
    ``execution_moved`` refusal (a rework opened the step again) names the execution to sign.

    Raises a Refusal: wrong meaning, unknown batch or step, values, the workflow's refusals, and
    the account controls' (wrong password, locked account, expired signing session).
    """
    check_meaning(signature, meaning)
    recipe_hash = hints.recipe_hash(context.reads, batch_id)
    recipe = hints.batch_recipe(context.reads, batch_id, recipe_hash)
    try:
        values = _typed_values(recipe, step_id, meaning, entered or {})
    except InvalidValues:
        await _refuse_by_rules_first(context, actor, batch_id, recipe, step_id, meaning)
        raise
    detail = None
    if meaning is Meaning.CORRECTED:
        execution = hints.stored_execution(context.reads, batch_id, step_id)
    elif meaning is Meaning.VERIFIED:
        # Signed on the values the store shows: a correction since is refused in words.
        execution, corrected = hints.stored_verification(context.reads, batch_id, step_id)
        detail = VerificationDetail(verifies=corrected).detail() if corrected else None
    else:
        execution = hints.EXECUTIONS.get(f"{batch_id}\n{step_id}") or 1
    content = Content(
        subject=step_subject(step_id),
        meaning=meaning,
        values=values,
        comment=comment,
        reason=reason,
        detail=detail,
        entered=entered or {},
    )
    signed = await sign_on_head(
        context, actor, batch_target(context, batch_id, recipe_hash), content, signature, execution
    )
    hints.EXECUTIONS.put(f"{batch_id}\n{step_id}", signed.recorded.record.execution)
    return signed


async def _refuse_by_rules_first(
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    recipe: Recipe,
    step_id: str,
    meaning: Meaning,
) -> None:
    """Bad values on a step that may not be done now: say why it may not (order, role, state),
    as the workflow would, rather than what is wrong with the values. Only on this error path
    is the batch's state asked for."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = context.temporal.get_workflow_handle(
        batch_id
    )
    try:
        state = await handle.query(BatchWorkflow.state)
    except (RPCError, WorkflowQueryFailedError):
        return
    try:
        if meaning is Meaning.CORRECTED:
            check_correct(state, recipe, step_id=step_id, actor=actor, values={}, reason="-")
        else:
            check_complete(state, recipe, step_id=step_id, actor=actor, values={})
    except InvalidValues:
        return  # the rules allow the action: the caller reports its own value errors


def _typed_values(
    recipe: Recipe, step_id: str, meaning: Meaning, entered: dict[str, Any]
) -> tuple[RecordedValue, ...]:
    step = recipe.step(step_id)
    if step is None:
        raise UnknownStep(
            f"recipe {recipe.code} v{recipe.version} has no step {step_id!r}", {"step_id": step_id}
        )
    if meaning is Meaning.VERIFIED:
        return ()
    return validate_values(step, entered)
