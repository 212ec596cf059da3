"""The record store: users (with their sessions, password history and sign-in throttling), alerts,
recipes, batches, signed records, keys, reports and the audit log."""

from ebr.store.accounts import (
    record_failure,
    record_success,
    set_active,
    set_password,
    touch_signature,
    unlock,
)
from ebr.store.alerts import AlertRow
from ebr.store.audit import (
    AuditEntryIn,
    AuditRow,
    append_audit,
    audit_size,
    get_audit,
    leaf_hashes,
    list_audit,
)
from ebr.store.batches import (
    BatchRow,
    get_batch,
    header_of,
    insert_batch,
    list_batches,
    update_batch_progress,
)
from ebr.store.checkpoints import (
    CheckpointRow,
    get_checkpoint,
    latest_checkpoint,
    list_checkpoints,
    save_checkpoint,
)
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from ebr.store.keys import (
    UserKeyRow,
    active_key,
    add_user_key,
    all_certificates,
    get_key,
    keys_of,
    replace_wrapped,
    retire_key,
)
from ebr.store.password_history import PasswordHistoryRow
from ebr.store.recipes import (
    RecipeRow,
    get_recipe,
    get_recipe_by_hash,
    list_recipes,
    recipe_of,
    save_recipe,
)
from ebr.store.sessions import SessionRow
from ebr.store.signed_records import (
    SignedEvidence,
    SignedRecordRow,
    chain_head,
    insert_signed_record,
    list_batch_records,
    list_chain,
    record_of,
)
from ebr.store.throttle import ThrottleSourceRow
from ebr.store.users import UserRow, add_user, get_user, list_users, roles_of

__all__ = [
    "AlertRow",
    "AlreadyExists",
    "AuditEntryIn",
    "AuditRow",
    "BatchRow",
    "CheckpointRow",
    "Conflict",
    "NotFound",
    "PasswordHistoryRow",
    "RecipeRow",
    "SessionRow",
    "SignedEvidence",
    "SignedRecordRow",
    "StoreError",
    "ThrottleSourceRow",
    "UserKeyRow",
    "UserRow",
    "active_key",
    "add_user",
    "add_user_key",
    "all_certificates",
    "append_audit",
    "audit_size",
    "get_audit",
    "get_batch",
    "get_checkpoint",
    "get_key",
    "get_recipe",
    "get_recipe_by_hash",
    "get_user",
    "header_of",
    "insert_batch",
    "insert_signed_record",
    "keys_of",
    "latest_checkpoint",
    "chain_head",
    "leaf_hashes",
    "list_audit",
    "list_batches",
    "list_checkpoints",
    "list_recipes",
    "list_batch_records",
    "list_chain",
    "list_users",
    "make_engine",
    "migrate",
    "recipe_of",
    "record_failure",
    "record_of",
    "record_success",
    "replace_wrapped",
    "retire_key",
    "roles_of",
    "save_checkpoint",
    "save_recipe",
    "session_scope",
    "set_active",
    "set_password",
    "touch_signature",
    "unlock",
    "update_batch_progress",
]
