"""The engine floor: a bare Temporal update whose handler runs a local activity doing one insert.

It is what any step recording on Temporal must cost at least; ebr's figures are compared with it.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, insert
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from signatures.keys import unwrap_key
    from signatures.wrapped import WrappedKey

metadata = MetaData()
floor_rows = Table(
    "bench_floor_rows",
    metadata,
    Column("row_id", String, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
)


class FloorInput(BaseModel):
    row_id: str
    seq: int
    payload: dict[str, object]
    # The signed floor: open a wrapped key with this password first, as a signature must.
    wrapped_key: str | None = None
    password: str | None = None


class FloorActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        metadata.create_all(engine)

    @activity.defn(name="floor_insert")
    def insert_row(self, row: FloorInput) -> None:
        if row.wrapped_key is not None and row.password is not None:
            unwrap_key(WrappedKey.from_json(row.wrapped_key), row.password)
        with self._engine.begin() as connection:
            connection.execute(
                insert(floor_rows).values(row_id=row.row_id, seq=row.seq, payload=row.payload)
            )


@workflow.defn
class FloorWorkflow:
    """Accepts updates forever; each runs one local-activity insert and returns."""

    def __init__(self) -> None:
        self._seq = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def record(self, payload: dict[str, object]) -> int:
        self._seq += 1
        key, password = payload.get("wrapped_key"), payload.get("password")
        row = FloorInput(
            row_id=f"{workflow.info().workflow_id}/{self._seq}",
            seq=self._seq,
            payload={"v": payload.get("v")},
            wrapped_key=key if isinstance(key, str) else None,
            password=password if isinstance(password, str) else None,
        )
        await workflow.execute_local_activity_method(
            FloorActivities.insert_row, row, start_to_close_timeout=timedelta(seconds=10)
        )
        return self._seq
