"""Recipes: loaded once per version, refused when a version's content changes, checked on read."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import Engine, text

from ebr.store import StoreError, session_scope
from ebr.store.recipes import (
    RecipeRow,
    get_recipe,
    get_recipe_by_hash,
    get_revision,
    list_recipes,
    recipe_of,
    save_recipe,
)
from tests.store.builders import T0, recipe, recipe_source
from tests.store.tamper import drop_guards


def _save(engine: Engine, code: str = "A", version: int = 1, sugar: str = "100") -> RecipeRow:
    with session_scope(engine) as session:
        row, _ = save_recipe(
            session=session,
            recipe=recipe(code, version, sugar),
            source=recipe_source(code, version, sugar),
            loaded_by="quinn",
            at=T0,
        )
        return row


def test_save_recipe_is_idempotent(engine: Engine) -> None:
    mix = recipe()
    with session_scope(engine) as session:
        first, created = save_recipe(
            session=session, recipe=mix, source=recipe_source(), loaded_by="quinn", at=T0
        )
        assert created
    with session_scope(engine) as session:
        again, created = save_recipe(
            session=session, recipe=mix, source="reformatted", loaded_by="ann", at=T0
        )
        assert not created
        assert again.id == first.id
        assert again.loaded_by == "quinn" and again.source == recipe_source()
        assert len(list_recipes(session=session)) == 1
    assert first.content_hash == mix.content_hash()
    assert first.body == mix.canonical_json().decode()
    assert first.step_count == 2
    assert (first.product_code, first.product_name) == ("SYR-01", "Sugar syrup 1 L")
    assert first.loaded_at == T0


def test_other_content_under_the_same_version_is_its_next_revision_and_both_stay(
    engine: Engine,
) -> None:
    """A draft changed is a new revision; what was saved before stays (a signature may name it)."""
    _save(engine)
    with session_scope(engine) as session:
        row, created = save_recipe(
            session=session,
            recipe=recipe(sugar="120"),
            source=recipe_source(sugar="120"),
            loaded_by="ada",
            at=T0,
        )
        assert created and row.revision == 2
    with session_scope(engine) as session:
        latest = get_recipe(session=session, code="MIX-A", version=1)
        assert latest is not None and latest.content_hash == recipe(sugar="120").content_hash()
        first = get_revision(
            session=session, code="MIX-A", version=1, content_hash=recipe().content_hash()
        )
        assert first is not None and first.revision == 1
        again, created = save_recipe(
            session=session, recipe=recipe(), source=recipe_source(), loaded_by="ada", at=T0
        )
        assert (again.revision, created) == (1, False), "saving a kept content adds nothing"
        assert [r.revision for r in list_recipes(session=session, code="MIX-A")] == [2]


def test_get_and_list_recipes(engine: Engine) -> None:
    for code, version in (("B", 1), ("A", 2), ("A", 1)):
        _save(engine, code, version)
    with session_scope(engine) as session:
        listed = [(r.code, r.version) for r in list_recipes(session=session)]
        assert listed == [("MIX-A", 1), ("MIX-A", 2), ("MIX-B", 1)]
        only_b = list_recipes(session=session, code="MIX-B")
        assert [(r.code, r.version) for r in only_b] == [("MIX-B", 1)]
        by_hash = get_recipe_by_hash(session=session, content_hash=recipe("A", 2).content_hash())
        assert by_hash is not None and (by_hash.code, by_hash.version) == ("MIX-A", 2)
        assert get_recipe_by_hash(session=session, content_hash="0" * 64) is None
        assert get_recipe(session=session, code="MIX-A", version=3) is None


def test_recipe_of_round_trips_the_recipe(engine: Engine) -> None:
    _save(engine)
    with session_scope(engine) as session:
        row = get_recipe(session=session, code="MIX-A", version=1)
    assert row is not None
    assert recipe_of(row) == recipe()
    assert recipe_of(row).content_hash() == row.content_hash


def test_recipe_of_detects_a_tampered_body(engine: Engine) -> None:
    _save(engine)
    body = json.loads(recipe().canonical_json())
    body["procedure"][0]["operations"][0]["steps"][0]["inputs"][0]["max"] = "150"
    with engine.begin() as connection:
        drop_guards(connection)
        connection.execute(text("UPDATE recipes SET body = :body"), {"body": json.dumps(body)})
    with session_scope(engine) as session:
        row = get_recipe(session=session, code="MIX-A", version=1)
    assert row is not None
    with pytest.raises(StoreError, match="does not match its content hash"):
        recipe_of(row)


def test_recipe_of_refuses_a_body_that_is_no_recipe(engine: Engine) -> None:
    _save(engine)
    with engine.begin() as connection:
        drop_guards(connection)
        # A consistent forgery: the hash matches the body, but the body is no recipe.
        body = '{"code": 1}'
        forged_hash = hashlib.sha256(body.encode()).hexdigest()
        connection.execute(
            text("UPDATE recipes SET body = :body, content_hash = :hash"),
            {"body": body, "hash": forged_hash},
        )
    with session_scope(engine) as session:
        row = get_recipe(session=session, code="MIX-A", version=1)
    assert row is not None
    with pytest.raises(StoreError, match="not a valid recipe"):
        recipe_of(row)
