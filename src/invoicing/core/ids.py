import re
import secrets

# `(?!\n)`: `$` admits one final newline under `re.search` (ECMA-262's never does); an id has one spelling.
PUBLIC_ID_PATTERN = r"^[0-9a-f]{24}(?!\n)$"
_PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)


def new_public_id() -> str:
    """24 lowercase hex characters, random (SPEC 2)."""
    return secrets.token_hex(12)


def is_public_id(text: str) -> bool:
    """Whether `text` is a public_id's form; anything else names nothing."""
    return _PUBLIC_ID.search(text) is not None
