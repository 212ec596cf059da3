"""The record store: users, recipes, batches and step records in SQLite or PostgreSQL."""

from ebr.store.batches import (
    BatchRow,
    get_batch,
    header_of,
    insert_batch,
    list_batches,
    update_batch_progress,
)
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from ebr.store.recipes import (
    RecipeRow,
    get_recipe,
    get_recipe_by_hash,
    list_recipes,
    recipe_of,
    save_recipe,
)
from ebr.store.records import StepRecordRow, insert_step_record, list_step_records, record_of
from ebr.store.users import UserRow, add_user, get_user, list_users, roles_of

__all__ = [
    "AlreadyExists",
    "BatchRow",
    "Conflict",
    "NotFound",
    "RecipeRow",
    "StepRecordRow",
    "StoreError",
    "UserRow",
    "add_user",
    "get_batch",
    "get_recipe",
    "get_recipe_by_hash",
    "get_user",
    "header_of",
    "insert_batch",
    "insert_step_record",
    "list_batches",
    "list_recipes",
    "list_step_records",
    "list_users",
    "make_engine",
    "migrate",
    "recipe_of",
    "record_of",
    "roles_of",
    "save_recipe",
    "session_scope",
    "update_batch_progress",
]
