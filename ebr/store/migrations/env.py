"""Alembic environment: runs the revisions on the connection ebr.store.db.migrate hands over."""

from alembic import context
from sqlmodel import SQLModel

import ebr.store  # noqa: F401  (imports every table so target_metadata knows them)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the store's migrations with ebr.store.db.migrate(url), not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that for us
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
