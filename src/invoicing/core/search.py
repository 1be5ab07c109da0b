"""The one normalised form every search compares: stored keys and query terms alike.

Searches match `search_key(query)` inside a key stored with the row (computed in Python on every
write), never a database function: SQLite's `lower()` folds ASCII only and PostgreSQL's depends
on the collation, so the two databases would find different rows. The form is NFKC with Unicode
case folding (`ß` -> `ss`, full-width letters -> ASCII), and Turkish `I`, `İ`, `ı`, `i` all become
`i`: the primary API's users are Turkish first, and `ŞAHİN` must find `şahin` as `ISTANBUL` finds
`İstanbul`.
"""

import unicodedata

# Unicode's compatibility caseless match (D145: NFKD, case folding, NFKD, case folding from NFD),
# stored composed (NFKC). Folding from NFD matters: composing first can attach a later mark to
# the base letter (Greek `ᾷ` in title case), which case folding then splits differently.
# Turkish: `ı` does not fold, so it becomes `i` first; `İ` is `I` + combining dot above in NFD,
# which folds to `i` + the dot, dropped.
_DOTLESS_I = str.maketrans({"\u0131": "i"})
_DOTTED_I = "i\u0307"
# A few rounds reach the fixed point for every text, which keeps the key idempotent
# (tests/test_search_keys.py).
_ROUNDS = 4


def _fold_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text).translate(_DOTLESS_I)
    folded = unicodedata.normalize("NFKD", decomposed.casefold())
    folded = unicodedata.normalize("NFKD", folded.casefold()).translate(_DOTLESS_I).replace(_DOTTED_I, "i")
    return unicodedata.normalize("NFKC", folded)


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
