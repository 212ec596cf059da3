"""The OpenAPI document the running API serves lists every route clients rely on."""

from __future__ import annotations

import pytest

from tests.api.harness import Ebr

# The document does not depend on the backend: SQLite alone.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)]

ROUTES = {
    ("post", "/api/auth/token"),
    ("get", "/api/me"),
    ("get", "/api/health"),
    ("get", "/api/recipes"),
    ("post", "/api/recipes"),
    ("get", "/api/recipes/{code}/{version}"),
    ("get", "/api/batches"),
    ("post", "/api/batches"),
    ("get", "/api/batches/{batch_id}"),
    ("post", "/api/batches/{batch_id}/steps/{step_id}/complete"),
    ("post", "/api/batches/{batch_id}/steps/{step_id}/verify"),
    ("post", "/api/batches/{batch_id}/steps/{step_id}/correct"),
    ("get", "/api/batches/{batch_id}/records"),
    ("post", "/api/batches/{batch_id}/hold"),
    ("post", "/api/batches/{batch_id}/hold/lift"),
    ("get", "/api/batches/{batch_id}/deviations"),
    ("post", "/api/batches/{batch_id}/deviations"),
    ("get", "/api/batches/{batch_id}/deviations/{deviation_id}"),
    ("post", "/api/batches/{batch_id}/deviations/{deviation_id}/investigate"),
    ("post", "/api/batches/{batch_id}/deviations/{deviation_id}/classify"),
    ("post", "/api/batches/{batch_id}/deviations/{deviation_id}/capa"),
    ("post", "/api/batches/{batch_id}/deviations/{deviation_id}/disposition"),
    ("get", "/api/batches/{batch_id}/review"),
    ("post", "/api/batches/{batch_id}/review/{exception_id}"),
    ("post", "/api/batches/{batch_id}/release"),
    ("post", "/api/batches/{batch_id}/reject"),
    ("post", "/api/me/password"),
    ("post", "/api/users/{user_id}/unlock"),
    ("put", "/api/users/{user_id}/roles"),
    ("post", "/api/auth/logout"),
    ("get", "/api/alerts"),
    ("get", "/api/audit"),
}


async def test_openapi_lists_every_route(ebr: Ebr) -> None:
    answer = await ebr.http.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    served = {(method, path) for path, item in document["paths"].items() for method in item}
    assert served >= ROUTES, ROUTES - served
    upload = document["paths"]["/api/recipes"]["post"]
    assert set(upload["requestBody"]["content"]) >= {"application/yaml", "application/json"}
    assert "201" in upload["responses"]


async def test_health_needs_no_token(ebr: Ebr) -> None:
    answer = await ebr.http.get("/api/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
