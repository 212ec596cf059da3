"""The engine floor: a bare Temporal update whose handler runs a local activity doing one insert.

It is what any step recording on Temporal must cost at least; ebr's figures are compared with it.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, insert
from temporalio import activity, workflow

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


class FloorActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        metadata.create_all(engine)

    @activity.defn(name="floor_insert")
    def insert_row(self, row: FloorInput) -> None:
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
        row = FloorInput(
            row_id=f"{workflow.info().workflow_id}/{self._seq}", seq=self._seq, payload=payload
        )
        await workflow.execute_local_activity_method(
            FloorActivities.insert_row, row, start_to_close_timeout=timedelta(seconds=10)
        )
        return self._seq
