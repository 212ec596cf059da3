"""RecipeWorkflow: the life of every version of one master recipe code, under change control."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.recipes import RecipeActivities
    from activities.signed_records import SignedRecordActivities
    from ebr.domain import recipe_change_control as control
    from ebr.domain.meanings import Meaning
    from ebr.domain.recipe_versions import (
        RecipeSignature,
        RecipeVersion,
        recipe_chain,
        version_id,
    )
    from ebr.domain.refusals import (
        ChainMoved,
        PayloadMismatch,
        RecipeNotFound,
        Refusal,
    )
    from ebr.domain.subjects import SubjectKind
    from workflows.calls import STORE_RETRY, STORE_WRITE_GIVE_UP, STORE_WRITE_TIMEOUT, refusal
    from workflows.messages import PersistChainRecordInput, SignedAction, SignedStored
    from workflows.recipe_dry_runs import check_dry_run
    from workflows.recipe_messages import (
        ChainHead,
        DraftSaved,
        RecipeSigned,
        RecipeVersionsLoaded,
        RecipeWorkflowState,
        RevisionSaved,
        SaveDraftInput,
        SaveRevisionInput,
        StartRecipe,
    )

__all__ = ["RecipeWorkflow"]


MEANINGS = (
    Meaning.AUTHORED,
    Meaning.REVIEWED,
    Meaning.REJECTED,
    Meaning.APPROVED,
    Meaning.RETIRED,
)
"""What a recipe version's signatures mean: submitted, reviewed, sent back, approved, retired."""


@workflow.defn
class RecipeWorkflow:
    """Keeps every version of one recipe code (workflow id ``recipe-<code>``).

    Guarantees: a draft is saved only by an author while it is a draft (each content kept as a
    revision); every transition of a version is a signature on the version's own chain, recorded
    exactly as signed or refused whole (``ebr.domain.recipe_change_control``: author, reviewer and
    approver are three people, the approver QA, no administrator; a draft whose dry run finds
    problems is not submitted); one change at a time. Effectiveness and supersession follow from
    the approvals' dates and the clock, so no timer is needed for them. The workflow runs as long
    as the code exists, continuing as new now and then with its state carried over.
    """

    @workflow.init
    def __init__(self, start: StartRecipe) -> None:
        self._state = start.carried or RecipeWorkflowState(code=start.code)
        self._updates = 0
        self._updates_per_run = start.updates_per_run
        self._busy = False

    @workflow.run
    async def run(self, start: StartRecipe) -> None:
        if not self._state.loaded:
            loaded: RecipeVersionsLoaded = await workflow.execute_local_activity_method(
                RecipeActivities.load_recipe_versions,
                self._state.code,
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
            self._state.versions = {v.version: v for v in loaded.versions}
            self._state.heads = dict(loaded.heads)
            self._state.loaded = True
        await workflow.wait_condition(
            lambda: (
                self._updates >= self._updates_per_run
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            StartRecipe(
                code=self._state.code,
                carried=self._state,
                updates_per_run=self._updates_per_run,
            )
        )

    @workflow.query
    def versions(self) -> list[RecipeVersion]:
        return list(self._state.versions.values())

    @workflow.update
    async def save_draft(self, request: SaveDraftInput) -> DraftSaved:
        """An author saves a draft: a new version, or one still (or again) a draft."""
        self._check_draft(request)
        await workflow.wait_condition(lambda: self._state.loaded and not self._busy)
        self._check_draft(request)
        self._busy = True
        try:
            saved: RevisionSaved = await workflow.execute_local_activity_method(
                RecipeActivities.save_recipe_revision,
                SaveRevisionInput(
                    recipe=request.recipe,
                    source=request.source,
                    actor=request.actor,
                    at=workflow.now(),
                ),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
        finally:
            self._busy = False
        number = request.recipe.version
        known = self._state.versions.get(number)
        version = (
            known.model_copy(update={"content_hash": saved.content_hash})
            if known is not None
            else RecipeVersion(
                code=self._state.code,
                version=number,
                content_hash=saved.content_hash,
                author=request.actor.user_id,
            )
        )
        self._state.versions[number] = version
        self._updates += 1
        return DraftSaved(version=version, revision=saved.revision, created=saved.created)

    @save_draft.validator
    def _validate_draft(self, request: SaveDraftInput) -> None:
        self._check_draft(request)

    def _check_draft(self, request: SaveDraftInput) -> None:
        recipe = request.recipe
        try:
            if recipe.code != self._state.code:
                raise PayloadMismatch(f"recipe {recipe.code} is not kept by {self._state.code}'s")
            control.check_edit(
                self._state.versions.get(recipe.version),
                actor=request.actor,
                code=recipe.code,
                number=recipe.version,
            )
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.update
    async def sign(self, action: SignedAction) -> RecipeSigned:
        """Record a signature on a version (submitted, reviewed, sent back, approved, retired)
        exactly as signed, then adopt what it does."""
        number = self._check_signed(action)
        await workflow.wait_condition(lambda: self._state.loaded and not self._busy)
        number = self._check_signed(action)
        self._busy = True
        try:
            if action.payload.meaning is Meaning.AUTHORED:
                await check_dry_run(self._state.versions[number])
            stored: SignedStored = await workflow.execute_local_activity_method(
                SignedRecordActivities.persist_chain_record,
                PersistChainRecordInput(
                    payload=action.payload, signature=action.signature, key_id=action.key_id
                ),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
        finally:
            self._busy = False
        payload = action.payload
        self._state.heads[number] = ChainHead(seq=payload.seq, hash=stored.record_hash)
        signature = RecipeSignature(
            meaning=payload.meaning,
            user_id=payload.signer.user_id,
            full_name=payload.signer.full_name,
            at=payload.signed_at,
            content_hash=payload.recipe_hash or "",
            reason=payload.reason,
        )
        version = self._state.versions[number].with_signature(
            signature, effective_from=_effective_from(action)
        )
        self._state.versions[number] = version
        self._updates += 1
        return RecipeSigned(record=payload.to_record(), version=version)

    @sign.validator
    def _validate_sign(self, action: SignedAction) -> None:
        self._check_signed(action)

    def _check_signed(self, action: SignedAction) -> int:
        """The version the signature is about, once every rule of its meaning allows it now."""
        try:
            return self._rules(action)
        except Refusal as exc:
            raise refusal(exc) from None

    def _rules(self, action: SignedAction) -> int:
        payload, actor = action.payload, action.actor
        number = self._version_of(action)
        version = self._state.versions[number]
        if (payload.signer.user_id, payload.signer.full_name, payload.station) != (
            actor.user_id,
            actor.full_name,
            actor.station,
        ):
            raise PayloadMismatch("the signed record names someone other than the person signing")
        if payload.recipe_hash != version.content_hash:
            raise PayloadMismatch(
                f"the signature names content {payload.recipe_hash}, not the version's "
                f"{version.content_hash}: read it again and sign what it holds",
                {"content_hash": version.content_hash},
            )
        if payload.values or payload.corrects is not None:
            raise PayloadMismatch("a recipe version's signature carries no values or correction")
        now = workflow.now()
        meaning = payload.meaning
        if meaning is Meaning.AUTHORED:
            control.check_submit(version, actor=actor)
        elif meaning is Meaning.REVIEWED:
            control.check_review(version, actor=actor)
        elif meaning is Meaning.REJECTED:
            control.check_return(version, actor=actor, reason=payload.reason)
        elif meaning is Meaning.APPROVED:
            effective_from = _effective_from(action) or payload.signed_at
            control.check_approve(version, actor=actor, effective_from=effective_from, now=now)
        elif meaning is Meaning.RETIRED:
            control.check_retire(version, actor=actor, reason=payload.reason, now=now)
        else:
            raise PayloadMismatch(
                f"a recipe version is signed as {', '.join(m.value for m in MEANINGS)}, "
                f"not {meaning.value}"
            )
        head = self._state.heads.get(number, ChainHead())
        if payload.seq != head.seq + 1 or payload.prev_hash != head.hash:
            raise ChainMoved(
                "the recipe version recorded something else meanwhile; sign again",
                {"seq": head.seq + 1, "prev_hash": head.hash},
            )
        return number

    def _version_of(self, action: SignedAction) -> int:
        payload = action.payload
        subject = payload.subject
        if subject.kind is not SubjectKind.RECIPE_VERSION or payload.chain != recipe_chain(
            *_parsed(subject.id)
        ):
            raise PayloadMismatch("the signature is not about one of this recipe's versions")
        code, number = _parsed(subject.id)
        if code != self._state.code:
            raise PayloadMismatch(f"recipe {code} is not kept by {self._state.code}'s workflow")
        if number not in self._state.versions:
            raise RecipeNotFound(
                f"there is no recipe {code} v{number}",
                {"recipe_code": code, "recipe_version": number},
            )
        return number


def _parsed(subject_id: str) -> tuple[str, int]:
    code, _, number = subject_id.rpartition("/")
    if not code or not number.isdigit():
        raise PayloadMismatch(f"{subject_id!r} names no recipe version (<code>/<version>)")
    if version_id(code, int(number)) != subject_id:
        raise PayloadMismatch(f"{subject_id!r} names no recipe version (<code>/<version>)")
    return code, int(number)


def _effective_from(action: SignedAction) -> datetime | None:
    """The approval's effective date and time (its ``detail``), if it names one."""
    value = (action.payload.detail or {}).get("effective_from")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PayloadMismatch(
            "effective_from is a date and time with its zone", {"field": "effective_from"}
        )
    return moment
