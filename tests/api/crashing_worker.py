"""A real ebr worker that SIGKILLs itself right after the store commits one step's signed record.

It is how a test makes "the activity committed but its result was lost" happen on purpose: the
record is in the store, the workflow task that would have recorded the activity's completion never
reaches the Temporal server, and the next worker must finish the step without writing it twice
(the retry stores the same signed payload, which the store accepts once, by its content).

Run as ``python -m tests.api.crashing_worker STEP_ID`` with the usual ``EBR_*`` environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from cryptography import x509
from sqlalchemy import Engine
from temporalio import activity
from temporalio.worker import Worker

from activities.batch_store import BatchStoreActivities
from activities.signed_records import SignedRecordActivities
from ebr.runtime import prepare_store, site_trust
from ebr.settings import Settings
from ebr.temporal_client import connect
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import PersistSignedInput, SignedStored


class CrashingSignedStore(SignedRecordActivities):
    """The real signed-record activity, except that the process dies once ``step_id``'s record
    is committed."""

    def __init__(self, engine: Engine, ca_certificate: x509.Certificate, *, step_id: str) -> None:
        super().__init__(engine, ca_certificate)
        self._step_id = step_id

    @activity.defn(name="persist_signed_record")
    def persist_signed_record(self, request: PersistSignedInput) -> SignedStored:
        stored = super().persist_signed_record(request)
        if request.payload.subject.id == self._step_id:
            os.kill(os.getpid(), signal.SIGKILL)
        return stored


async def main(step_id: str) -> None:
    settings = Settings()
    engine = prepare_store(settings)
    client = await connect(settings)
    store = BatchStoreActivities(engine)
    signed = CrashingSignedStore(engine, site_trust(settings).ca.certificate, step_id=step_id)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[BatchWorkflow],
        activities=[store.create_batch, store.persist_hold, signed.persist_signed_record],
        activity_executor=ThreadPoolExecutor(max_workers=4),
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
