from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field

from invoicing.auth.scopes import ALL_SCOPES, DEFAULT_SCOPES
from invoicing.core.schemas import Input
from invoicing.core.wire_types import VisibleName

# Spelt out for the type checker; kept equal to auth.scopes' one list.
Scope = Literal["invoices:read", "invoices:write", "clients:manage", "tenant:manage"]
if get_args(Scope) != ALL_SCOPES:
    raise RuntimeError("clients.schemas.Scope must list auth.scopes.ALL_SCOPES")


def _default_scopes() -> list[Scope]:
    return [scope for scope in get_args(Scope) if scope in DEFAULT_SCOPES]


class ClientCreate(Input):
    name: Annotated[str, VisibleName(200)] = Field(examples=["Accounting sync"])
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(ALL_SCOPES))] = Field(
        default_factory=_default_scopes,
        description="What the client's tokens may do; default invoices:read and invoices:write. "
        "`clients:manage` lets its tokens manage the tenant's clients (and so act as any of them).",
    )


class ClientResource(BaseModel):
    id: int
    public_id: str
    tenant_id: int
    client_id: str = Field(description="The OAuth `client_id` (`cli_…`).")
    name: str
    scopes: list[Scope]
    status: Literal["active", "revoked"]
    created_at: datetime
    revoked_at: datetime | None


class ClientWithSecretResource(ClientResource):
    client_secret: str = Field(description="Shown in this answer only; the server keeps its hash.")
