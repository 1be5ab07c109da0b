import re

INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"
ALL_SCOPES = (INVOICES_READ, INVOICES_WRITE)
_ONE = "(" + "|".join(ALL_SCOPES) + ")"
# Known scopes separated by spaces (RFC 6749 section 3.3) or commas; published in the OpenAPI form.
SCOPE_PATTERN = rf"^[ ,]*({_ONE}([ ,]+{_ONE})*)?[ ,]*$"


def parse_scopes(text: str | None, *, default: tuple[str, ...] = ALL_SCOPES) -> tuple[str, ...]:
    """`"invoices:read,invoices:write"` or space-separated (RFC 6749) -> known scopes, in order."""
    if text is None or not text.strip():
        return default
    requested = text.replace(",", " ").split()
    unknown = [scope for scope in requested if scope not in ALL_SCOPES]
    if unknown or not re.search(SCOPE_PATTERN, text):
        raise ValueError(f"unknown scope(s): {', '.join(unknown) or text}; known: {', '.join(ALL_SCOPES)}")
    return tuple(scope for scope in ALL_SCOPES if scope in requested)
