from datetime import datetime

from pydantic import BaseModel, Field

from invoicing.core.schemas import Input


class SeriesCreate(Input):
    name: str = Field(description="3 characters, A-Z or 0-9.", examples=["ABC"])
    is_default: bool = False


class SeriesResource(BaseModel):
    id: int
    public_id: str
    name: str
    is_default: bool
    created_at: datetime
    updated_at: datetime
