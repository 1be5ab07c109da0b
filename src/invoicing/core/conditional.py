"""Conditional requests (RFC 9110 section 13): strong entity tags from a row's version.

The tag tracks the resource's own version (every change bumps it); it is strong, so If-Match,
which compares strongly, can use it.
"""

import re
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


_ENTITY_TAG = r'(?:W/)?"[!#-~]*"'  # RFC 9110 section 8.8.3, ASCII only
IF_MATCH_PATTERN = rf"^[ \t]*(\*|{_ENTITY_TAG}([ \t]*,[ \t]*{_ENTITY_TAG})*)[ \t]*$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_TAGS = re.compile(_ENTITY_TAG)


def parse_if_match(value: str | None) -> IfMatch | None:
    """`*` or a comma-separated list of entity tags (commas inside a tag's quotes are its own)."""
    if value is None:
        return None
    if not _IF_MATCH.search(value):
        raise BadRequest('If-Match must be * or a list of entity tags such as "v3".', code="invalid_if_match")
    if value.strip() == "*":
        return IfMatch(any=True, tags=frozenset())
    # A weak tag is well-formed but never matches under strong comparison.
    tags = {tag for tag in _TAGS.findall(value) if not tag.startswith("W/")}
    return IfMatch(any=False, tags=frozenset(tags))
