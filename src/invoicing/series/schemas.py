from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from invoicing.core.schemas import Input
from invoicing.core.wire_types import Flag
from invoicing.series.service import SERIES_NAME_PATTERN, SeriesKind


class SeriesCreate(Input):
    # Checked by the service (422 `invalid_series`), published here.
    name: Annotated[str, WithJsonSchema({"type": "string", "pattern": SERIES_NAME_PATTERN})] = Field(
        description="3 characters, A-Z or 0-9.", examples=["ABC"]
    )
    is_default: Flag = Field(default=False, description="Make it the default series of its kind.")
    kind: SeriesKind = Field(
        default=SeriesKind.INVOICE, description="What it numbers: `invoice` or `credit_note` (each kind has a default)."
    )


class SeriesResource(BaseModel):
    id: int
    public_id: str
    name: str
    is_default: bool
    kind: SeriesKind
    created_at: datetime
    updated_at: datetime
