import re

INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"
# The tenant's admin scope: whoever holds it can rotate any of the tenant's clients and so act
# as any of them. Never granted by default (DEFAULT_SCOPES); only asked for by name.
CLIENTS_MANAGE = "clients:manage"
# Changes the tenant's own profile and logo (the seller on every invoice it issues from then on).
TENANT_MANAGE = "tenant:manage"
ALL_SCOPES = (INVOICES_READ, INVOICES_WRITE, CLIENTS_MANAGE, TENANT_MANAGE)
DEFAULT_SCOPES = (INVOICES_READ, INVOICES_WRITE)

_ONE = "(" + "|".join(re.escape(scope) for scope in ALL_SCOPES) + ")"
# RFC 6749 section 3.3: `scope = scope-token *( SP scope-token )`, here of known tokens only;
# empty means the client's own scopes. Published in the OpenAPI form of `POST /api/oauth/token`.
SCOPE_PATTERN = rf"^({_ONE}( {_ONE})*)?$"
# scope-token = 1*NQCHAR: any visible ASCII but `"` and `\`.
_NQCHARS = r"[\x21\x23-\x5B\x5D-\x7E]+"
_SCOPE_GRAMMAR = re.compile(rf"^{_NQCHARS}( {_NQCHARS})*$")
# The operator's `--scopes`: known scopes separated by commas or spaces.
_SCOPE_LIST = re.compile(rf"^[ ,]*{_ONE}([ ,]+{_ONE})*[ ,]*$")


def _in_known_order(requested: set[str]) -> tuple[str, ...]:
    return tuple(scope for scope in ALL_SCOPES if scope in requested)


def parse_scopes(text: str | None, *, default: tuple[str, ...] = DEFAULT_SCOPES) -> tuple[str, ...]:
    """`"invoices:read,invoices:write"` or space-separated -> known scopes, in order; blank -> `default`."""
    if text is None or not text.strip():
        return default
    requested = text.replace(",", " ").split()
    unknown = [scope for scope in requested if scope not in ALL_SCOPES]
    if unknown or not _SCOPE_LIST.search(text):
        raise ValueError(f"unknown scope(s): {', '.join(unknown) or repr(text)}; known: {', '.join(ALL_SCOPES)}")
    return _in_known_order(set(requested))


def parse_requested_scope(text: str | None) -> tuple[str, ...] | None:
    """The `scope` of a token request (RFC 6749 section 3.3) -> known scopes, in order.

    None when absent or empty: the client gets its registered scopes. Anything that is not
    scope tokens separated by single spaces, or names an unknown scope, raises ValueError
    (`invalid_scope`). Matched as JSON Schema tools match the published pattern (`re.search`,
    where `$` also matches before one final newline, which is not part of the scope).
    """
    if not text or text == "\n":
        return None
    if not _SCOPE_GRAMMAR.search(text):
        raise ValueError("scope must be scope names separated by single spaces (RFC 6749 section 3.3).")
    requested = text.removesuffix("\n").split(" ")
    unknown = [scope for scope in requested if scope not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return _in_known_order(set(requested))
