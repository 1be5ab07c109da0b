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
    for part in (piece.strip() for piece in text.split(",")):
        if part.startswith("W/"):
            continue  # a weak tag never matches under strong comparison
        if len(part) < 2 or not part.startswith('"') or not part.endswith('"') or '"' in part[1:-1]:
            raise BadRequest('If-Match must be * or a list of entity tags such as "v3".', code="invalid_if_match")
        tags.add(part)
    return IfMatch(any=False, tags=frozenset(tags))
