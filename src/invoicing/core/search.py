"""The one normalised form every search compares: stored keys and query terms alike.

Searches match `search_key(query)` inside a key stored with the row (computed in Python on every
write), never a database function: SQLite's `lower()` folds ASCII only and PostgreSQL's depends
on the collation, so the two databases would find different rows. The form is NFKC with Unicode
case folding (`ß` -> `ss`, full-width letters -> ASCII), and Turkish `I`, `İ`, `ı`, `i` all become
`i`: the primary API's users are Turkish first, and `ŞAHİN` must find `şahin` as `ISTANBUL` finds
`İstanbul`.
"""

import unicodedata

# Folded to plain `i` before case folding: `İ` would fold to `i` + combining dot above, and `ı`
# does not fold at all.
_TURKISH_I = str.maketrans({"\u0130": "i", "\u0131": "i"})
_DOTTED_I = "i\u0307"  # `i` with a combining dot above, as decomposed `İ` lower-cases to
# Case folding and NFKC feed each other (a folded letter may compose anew); a few rounds reach
# the fixed point for every text, which keeps the key idempotent (tests/test_search_keys.py).
_ROUNDS = 4


def _fold_once(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_TURKISH_I).casefold()
    return unicodedata.normalize("NFKC", folded.replace(_DOTTED_I, "i")).translate(_TURKISH_I)


def search_key(text: str) -> str:
    """`text` as searches compare it; `search_key(search_key(t)) == search_key(t)`."""
    for _ in range(_ROUNDS):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) finding the search key of `text` anywhere in a key."""
    escaped = search_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
