"""What an attacker with the database owner's rights does first: drop the append-only triggers."""

from __future__ import annotations

from sqlalchemy import Connection, text

__all__ = ["drop_guards"]


def drop_guards(connection: Connection) -> list[str]:
    """Drop every ``ebr_*`` trigger (migration 0003) on this database; return their names."""
    if connection.dialect.name == "postgresql":
        query = text(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
            "WHERE NOT tgisinternal AND starts_with(tgname, 'ebr_')"
        )
        found = connection.execute(query).all()
        for name, table in found:
            connection.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
        return sorted(name for name, _ in found)
    query = text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 4) = 'ebr_'"
    )
    names = connection.execute(query).scalars()
    dropped = sorted(names)
    for name in dropped:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    return dropped
