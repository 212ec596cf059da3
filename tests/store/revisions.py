"""Moving a test database to a given migration revision, up or down, as alembic's CLI would.

0005 cannot go down (its ebr.record/2 records cannot be made format 1): a test of an older
revision's downgrade upgrades a new database to that revision first.
"""

from __future__ import annotations

from alembic import command

from ebr.store.db import alembic_config, make_engine

__all__ = ["downgrade_to", "upgrade_to"]


def upgrade_to(url: str, revision: str) -> None:
    _run(url, command.upgrade, revision)


def downgrade_to(url: str, revision: str) -> None:
    _run(url, command.downgrade, revision)


def _run(url: str, move: object, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            move(config, revision)  # type: ignore[operator]  # command.upgrade or .downgrade
    finally:
        engine.dispose()
