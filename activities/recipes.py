"""Activities a recipe code's workflow needs: its versions as stored, a draft's revision saved and
audited (once, by its content), and the dry run of a version before it is submitted."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ebr.audit import audit_recipe_loaded
from ebr.domain.recipe_versions import recipe_chain
from ebr.domain.signed_records import GENESIS
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import get_recipe_by_hash, recipe_of, save_recipe
from ebr.store.signed_records import chain_head
from workflows.recipe_messages import (
    ChainHead,
    RecipeVersionsLoaded,
    RevisionSaved,
    SaveRevisionInput,
)

__all__ = ["RecipeActivities"]


class RecipeActivities:
    """Holds the store's engine; one instance is registered with each worker."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="load_recipe_versions")
    def load_recipe_versions(self, code: str) -> RecipeVersionsLoaded:
        """Every version of ``code`` and where each one's chain stands, as stored."""
        with session_scope(self._engine) as session:
            versions = recipe_versions(session=session, code=code)
            heads = {}
            for version in versions:
                seq, head = chain_head(session=session, chain=recipe_chain(code, version.version))
                heads[version.version] = ChainHead(seq=seq, hash=head or GENESIS)
        return RecipeVersionsLoaded(versions=tuple(versions), heads=heads)

    @activity.defn(name="save_recipe_revision")
    def save_recipe_revision(self, request: SaveRevisionInput) -> RevisionSaved:
        """Keep the draft's content as the version's next revision (or find it kept) and audit
        it, in one transaction."""
        actor = request.actor
        with session_scope(self._engine) as session:
            row, created = save_recipe(
                session=session,
                recipe=request.recipe,
                source=request.source,
                loaded_by=actor.user_id,
                at=request.at,
            )
            if created:
                audit_recipe_loaded(session, row=row, actor=actor.user_id, station=actor.station)
        return RevisionSaved(revision=row.revision, content_hash=row.content_hash, created=created)

    @activity.defn(name="count_dry_run_problems")
    async def count_dry_run_problems(self, content_hash: str) -> int:
        """How many problems the dry run of this content finds (none: it may be submitted).

        The dry run runs the recipe on a time-skipping test server of its own (seconds), never on
        the site's Temporal or store."""
        from ebr.dry_run import dry_run  # the test server's client: load it when it is needed

        with session_scope(self._engine) as session:
            row = get_recipe_by_hash(session=session, content_hash=content_hash)
            if row is None:
                raise ApplicationError(
                    f"no recipe content has the hash {content_hash}", non_retryable=True
                )
            recipe = recipe_of(row)
        activity.heartbeat()
        return (await dry_run(recipe)).problems
