"""Reading a recipe sent in a request's body: YAML (or JSON, which is YAML), or JSON
``{"source": "..."}``; the text is parsed by ``ebr.domain.recipe_loading.parse_recipe``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from api.recipe_schemas import RecipeUpload
from api.refusals import InvalidRequest, UnsupportedMediaType

__all__ = ["RECIPE_BODY", "YAML_TYPES", "recipe_source"]

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")

RECIPE_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": RecipeUpload.model_json_schema()},
        }
    }
}
"""The ``openapi_extra`` of a route that reads a recipe from its body."""


async def recipe_source(request: Request) -> str:
    """The recipe's text: the body as UTF-8 YAML, or the ``source`` of a JSON body. A body in
    another content type is ``unsupported_media_type``; text that is not UTF-8, or JSON without a
    ``source``, is ``invalid_request``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    raw = await request.body()
    if content_type == "application/json":
        try:
            return RecipeUpload.model_validate_json(raw).source
        except ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
                for e in exc.errors()
            ]
            raise InvalidRequest(
                'send the recipe as JSON {"source": "<the recipe as YAML>"}', problems
            ) from None
    if content_type in YAML_TYPES or not content_type:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("the recipe must be UTF-8 text") from None
    raise UnsupportedMediaType(f"send the recipe as application/yaml or JSON, not {content_type}")
