"""Connecting to Temporal with the data converter every ebr process must share."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from ebr import search_attributes
from ebr.settings import Settings

_INDEXED = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}


async def connect(settings: Settings) -> Client:
    """A client for the configured cluster (or the embedded dev server), carrying pydantic models."""
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


async def ensure_search_attributes(client: Client, namespace: str = "default") -> None:
    """Register ebr's search attributes where they are missing (a fresh cluster or test server).

    The time-skipping test server cannot list attributes; there every one is added, and an
    "already exists" answer is as good as success.
    """
    wanted = {name: _INDEXED[kind] for name, kind in search_attributes.ALL.items()}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        wanted = {n: t for n, t in wanted.items() if n not in existing.custom_attributes}
    except RPCError as exc:
        if exc.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
    if not wanted:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=wanted)
        )
    except RPCError as exc:
        if exc.status is not RPCStatusCode.ALREADY_EXISTS:
            raise
