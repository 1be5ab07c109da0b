"""Vendor dialects (HighLevel, FlowPayroll) as mounted sub-applications over the same core.

A dialect is its own ASGI app so that it owns its error shapes (its exception handlers) and its
own OpenAPI document, while sharing the parent's engine and settings: `state` is the parent's,
filled by the parent's lifespan (a mounted app's lifespan never runs). The parent's middlewares
(request id, body cap, rate limit) wrap the mount, so every dialect gets them.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import State

from invoicing.core.schemas import problem_responses

Document = dict[str, Any]


def dialect_app(parent_state: State, *, title: str, description: str, version: str) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state = parent_state
    return app


def operations(document: Document) -> list[Document]:
    return [
        operation
        for path_item in document.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict)
    ]


def _declare_parent_answers(document: Document) -> None:
    """What the parent answers in front of the dialect, in the primary API's problem+json.

    The body cap (413), the rate limit (429) and the header bounds (431) run before any dialect.
    A path the mount cannot route (a parameter holding a line break: Starlette's mount pattern
    stops at one) is the parent's 404 as well.
    """
    parent = problem_responses(404, 413, 429, 431)
    for operation in operations(document):
        responses = operation.setdefault("responses", {})
        for status in (413, 429, 431):
            responses.setdefault(str(status), parent[status])
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            not_found = responses.setdefault("404", {"description": parent[404]["description"], "content": {}})
            not_found.setdefault("content", {}).update(parent[404]["content"])


def install_dialect_openapi(app: FastAPI, complete: Callable[[Document], None]) -> None:
    """The dialect's document: FastAPI's, completed by the dialect (`complete`) and with the parent's answers."""

    def openapi() -> Document:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            complete(document)
            _declare_parent_answers(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_link(document: Document, source: tuple[str, str], target: tuple[str, str], parameters: dict[str, str]) -> None:
    """An OpenAPI link from `source`'s 200 to `target` ((method, path) each), which clients and
    the stateful fuzzer follow: `parameters` maps the target's parameters to runtime expressions."""
    (source_method, source_path), (target_method, target_path) = source, target
    operation = document["paths"][source_path][source_method]
    target_id = document["paths"][target_path][target_method]["operationId"]
    links = operation["responses"]["200"].setdefault("links", {})
    links[target_id] = {"operationId": target_id, "parameters": parameters}


def allowed_methods(request: Request) -> str:
    """Every method some route of the dialect takes at this path, for a 405's `Allow` (RFC 9110).

    Starlette answers 405 from the first route whose path matches, naming only its methods; a
    dialect's routes match the path below the mount (`root_path`).
    """
    path, root = request.scope.get("path", ""), request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    methods: set[str] = set()
    for route in request.app.routes:
        path_regex = getattr(route, "path_regex", None)
        route_methods = getattr(route, "methods", None)
        if path_regex is not None and route_methods and path_regex.match(path):
            methods |= route_methods
    return ", ".join(sorted(methods))
