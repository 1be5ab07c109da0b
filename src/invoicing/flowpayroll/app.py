"""The FlowPayroll dialect as a sub-application: its own error bodies and OpenAPI document."""

from fastapi import FastAPI
from starlette.datastructures import State

from invoicing import __version__
from invoicing.core.dialect import Document, add_link, dialect_app, install_dialect_openapi, operations
from invoicing.flowpayroll.endpoints import router
from invoicing.flowpayroll.errors import install_flowpayroll_error_handlers

DESCRIPTION = """\
FlowPayroll-compatible billing API (seed 004): change a FlowPayroll client's base URL from
`https://api.sandbox.flowpayroll.ai/v1/billing` to `http://HOST/flowpayroll/v1/billing` and send a
token of this service in `X-Auth-Token`. `clientId` is the customer's id, `organisationId` the
tenant's. Responses use FlowPayroll's envelope `{content: {data, metadata}, metadata, errors, message}`.
"""


def create_flowpayroll_app(parent_state: State) -> FastAPI:
    app = dialect_app(
        parent_state, title="Invoicing: FlowPayroll billing", description=DESCRIPTION, version=__version__
    )
    install_flowpayroll_error_handlers(app)
    app.include_router(router)
    install_dialect_openapi(app, lambda document: complete_document(document, parent_state.settings.max_page_size))
    return app


def complete_document(document: Document, max_page_size: int) -> None:
    """Invalid input is FlowPayroll's 400 (declared on every route), never FastAPI's 422; the page
    size's maximum is configuration."""
    for operation in operations(document):
        operation["responses"].pop("422", None)
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "pageSize":
                for variant in parameter["schema"].get("anyOf", [parameter["schema"]]):
                    if variant.get("type") == "integer":
                        variant["maximum"] = max_page_size
    invoice, void = ("get", "/invoices/{clientId}/{invoiceId}"), ("post", "/invoices/{clientId}/{invoiceId}/void")
    line_items, listed = ("get", "/invoices/{clientId}/{invoiceId}/line-items"), ("get", "/clients/{clientId}/invoices")
    first = {"clientId": "$response.body#/content/data/0/clientId", "invoiceId": "$response.body#/content/data/0/id"}
    shown = {"clientId": "$response.body#/content/data/clientId", "invoiceId": "$response.body#/content/data/id"}
    for target in (invoice, line_items, void):
        add_link(document, listed, target, first)
    for source, target in ((invoice, void), (invoice, line_items), (void, invoice)):
        add_link(document, source, target, shown)
    add_link(document, invoice, listed, {"clientId": "$response.body#/content/data/clientId"})
