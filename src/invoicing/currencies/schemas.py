from pydantic import BaseModel


class CurrencyResource(BaseModel):
    id: int
    name: str
    code: str
    symbol: str
    minor_units: int
    is_active: str
    deleted_at: str | None
    created_at: str
    updated_at: str
    locale: str
    search_vector: str
