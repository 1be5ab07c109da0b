INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"
ALL_SCOPES = (INVOICES_READ, INVOICES_WRITE)


def parse_scopes(text: str | None, *, default: tuple[str, ...] = ALL_SCOPES) -> tuple[str, ...]:
    """`"invoices:read,invoices:write"` or space-separated (RFC 6749) -> known scopes, in order."""
    if text is None or not text.strip():
        return default
    requested = [part for part in text.replace(",", " ").split() if part]
    unknown = [scope for scope in requested if scope not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return tuple(scope for scope in ALL_SCOPES if scope in requested)
