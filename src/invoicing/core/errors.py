"""Domain errors: a stable `code`, an HTTP status, and nothing HTTP-specific beyond that.

Services raise these; each API surface renders them in its own shape.
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error_code = code or self.code
        self.errors = dict(errors) if errors else None
        self.extra = dict(extra) if extra else {}


class BadRequest(DomainError):
    pass


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class Unprocessable(DomainError):
    """Well-formed input that breaks a rule; `errors` names the fields."""

    status = 422
    code = "validation_failed"
    title = "Unprocessable content"

    @classmethod
    def field(cls, field: str, message: str, *, code: str | None = None) -> "Unprocessable":
        return cls(message, code=code, errors={field: [message]})
