"""Facts the OpenAPI document states that route signatures cannot.

- `X-Tenant` is required: it is read by hand, so that a missing token answers 401 before the
  header's 422, which leaves FastAPI believing it optional.
- `limit`'s maximum is configuration (MAX_PAGE_SIZE), not a constant of the code.
- A JSON body typed `Model | None` is one the handler checks by hand, to name the missing
  field (the seeds' `{"id": N}`); it is required all the same.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

REQUIRED_HEADERS = {"X-Tenant"}


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path_item in document.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict)
    ]


def _require_optional_bodies(document: dict[str, Any]) -> None:
    for operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            variants = media.get("schema", {}).get("anyOf", [])
            models = [variant for variant in variants if "$ref" in variant]
            if len(variants) == 2 and len(models) == 1 and {"type": "null"} in variants:
                description = media["schema"].get("description")
                media["schema"] = models[0]
                operation["requestBody"]["required"] = True
                if description:
                    operation["requestBody"].setdefault("description", description)


def complete_document(document: dict[str, Any], *, max_page_size: int) -> dict[str, Any]:
    _require_optional_bodies(document)
    for parameter in (
        parameter for operation in _operations(document) for parameter in operation.get("parameters", [])
    ):
        if parameter["in"] == "header" and parameter["name"] in REQUIRED_HEADERS:
            parameter["required"] = True
            schema = parameter["schema"]
            # FastAPI wraps the header's optional type; the published rule is the integer alone.
            parameter["schema"] = next((part for part in schema.get("anyOf", [schema]) if part.get("type")), schema)
        if parameter["in"] == "query" and parameter["name"] == "limit":
            for variant in [parameter["schema"], *parameter["schema"].get("anyOf", ())]:
                if variant.get("type") == "integer":
                    variant["maximum"] = max_page_size
    return document


def install_openapi(app: FastAPI, *, max_page_size: int) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = complete_document(document, max_page_size=max_page_size)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
