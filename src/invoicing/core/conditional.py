"""Conditional requests (RFC 9110 section 13): strong entity tags from a row's version.

The tag tracks the resource's own version (every change bumps it); it is strong, so If-Match,
which compares strongly, can use it.
"""

from dataclasses import dataclass

from invoicing.core.errors import BadRequest, DomainError


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


@dataclass(frozen=True, slots=True)
class IfMatch:
    any: bool
    tags: frozenset[str]

    def matches(self, tag: str) -> bool:
        return self.any or tag in self.tags


def entity_tag(version: int) -> str:
    return f'"v{version}"'


def parse_if_match(value: str | None) -> IfMatch | None:
    if value is None:
        return None
    text = value.strip()
    if text == "*":
        return IfMatch(any=True, tags=frozenset())
    tags: set[str] = set()
    parts = [piece.strip() for piece in text.split(",")]
    if not any(parts):
        raise BadRequest("If-Match names no entity tag.", code="invalid_if_match")
    for part in parts:
        if not part:
            continue  # RFC 9110 section 5.6.1: empty list elements are ignored
        weak = part.startswith("W/")
        opaque = part[2:] if weak else part
        if len(opaque) < 2 or not opaque.startswith('"') or not opaque.endswith('"') or '"' in opaque[1:-1]:
            raise BadRequest('If-Match must be * or a list of entity tags such as "v3".', code="invalid_if_match")
        if not weak:  # a weak tag is well-formed but never matches under strong comparison
            tags.add(part)
    return IfMatch(any=False, tags=frozenset(tags))
