"""The HighLevel-compatible dialect, mounted at /highlevel (SPEC 6; docs/highlevel.md)."""

from fastapi import FastAPI
from starlette.datastructures import State

from invoicing import __version__
from invoicing.core.dialect import dialect_app, install_dialect_openapi
from invoicing.highlevel.endpoints import router
from invoicing.highlevel.errors import install_highlevel_handlers
from invoicing.highlevel.openapi import complete_document

DESCRIPTION = """\
HighLevel's invoice endpoints over this service: point a HighLevel client's base URL
(`https://services.leadconnectorhq.com`) at `http://HOST/highlevel`. `Authorization: Bearer
<token>` with a token of this service for one tenant, a `Version` header, and `altId` = the
tenant's public_id, `altType` = `location`.
"""


def create_highlevel_app(parent_state: State) -> FastAPI:
    app = dialect_app(parent_state, title="Invoicing: HighLevel dialect", description=DESCRIPTION, version=__version__)
    install_highlevel_handlers(app)
    app.include_router(router)
    install_dialect_openapi(app, lambda document: complete_document(document, parent_state.settings.max_page_size))
    return app
