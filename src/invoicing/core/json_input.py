"""What any JSON body may hold, checked as it is parsed, for every API (docs/reliability.md, Limits).

Well-formed JSON can still break the service later: Python's parser recurses (RecursionError
near 1,000 levels) and orjson writes at most 255, so a value stored 254 levels deep could never
be answered again; a `\\ud800` escape parses to a lone surrogate, which no UTF-8 writer (orjson,
the database drivers) accepts; `1e1000000` is 9 bytes that turn into a million digits, and
into minutes of CPU as an integer. Such a body is refused before any field sees it.
"""

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DEFAULT_MAX_DEPTH = 32
# Every float a JSON client can hold (about 1e-324 to 1e308) and integers far beyond 64 bits fit.
MAX_NUMBER_DIGITS = 1000


class JsonRefused(json.JSONDecodeError):
    """Well-formed JSON that this service refuses: `location` is where in the body (() for the whole).

    A JSONDecodeError, so that FastAPI turns it into a RequestValidationError raised from it
    (`refused_json` finds it there) rather than into a bare 400.
    """

    def __init__(self, location: tuple[str | int, ...], reason: str) -> None:
        self.location = ("body", *location)
        self.reason = reason
        super().__init__(reason, "", 0)


def refused_json(error: BaseException) -> JsonRefused | None:
    """The JsonRefused behind a RequestValidationError, if that is why the body was refused."""
    cause = error.__cause__
    return cause if isinstance(cause, JsonRefused) else None


@dataclass(frozen=True, slots=True)
class JsonProblem:
    location: tuple[str | int, ...]
    reason: str


class _LongNumber:
    """Stands for a number past MAX_NUMBER_DIGITS in a second parse, so the walk can say where it was."""


class _NumberTooLong(Exception):
    pass


LONG_NUMBER_REASON = f"a number must have at most {MAX_NUMBER_DIGITS} digits before and after the point"
# The only way a lone surrogate gets into parsed text once the body is strict UTF-8: an escape.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _number(text: str) -> Decimal:
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "JSON numbers are finite"
    if value.adjusted() >= MAX_NUMBER_DIGITS or exponent < -MAX_NUMBER_DIGITS:
        raise _NumberTooLong
    return value


def _integer(text: str) -> int:
    # Checked before int(): past 4300 digits int() refuses, and the length alone is the bound.
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberTooLong
    return int(text)


def _marked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_or_mark(text: str) -> Any:
        try:
            return parse(text)
        except _NumberTooLong:
            return _LongNumber()

    return parse_or_mark


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _parse(text: str, *, mark_long_numbers: bool) -> Any:
    number, integer = (_marked(_number), _marked(_integer)) if mark_long_numbers else (_number, _integer)
    return json.loads(text, parse_float=number, parse_int=integer, parse_constant=_refuse_constant)


def loads_exact(body: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The body with numbers as exact Decimals (integers as int); JsonRefused, naming where, past the bounds."""
    long_number = False
    try:
        # Decoded strictly: json.loads would let UTF-8-encoded surrogates through ("surrogatepass").
        text = body.decode(json.detect_encoding(body)) if isinstance(body, bytes) else body
        try:
            value = _parse(text, mark_long_numbers=False)
        except _NumberTooLong:
            value, long_number = _parse(text, mark_long_numbers=True), True  # again, to say where
    except (UnicodeDecodeError, RecursionError):
        # Not UTF-8, or nested too deep for the parser to tell whether it is JSON at all: malformed.
        raise json.JSONDecodeError("the body is not valid JSON", "", 0) from None
    check_text = _SURROGATE_ESCAPE.search(text) is not None
    # Cheap tests first, so an ordinary body costs one walk of its containers at most; the full
    # walk, which names the field, runs only for a body that is refused.
    if long_number or check_text or _too_deep(value, max_depth, brackets=text.count("{") + text.count("[")):
        problem = json_problem(value, max_depth=max_depth, check_text=check_text)
        if problem is not None:
            raise JsonRefused(problem.location, problem.reason)
    return value


def _too_deep(value: Any, max_depth: int, *, brackets: int) -> bool:
    if brackets <= max_depth:
        return False  # even every bracket nested in the one before would not reach the bound
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if type(child) is dict or type(child) is list:
                pending.append((child, depth + 1))
    return False


def json_problem(value: Any, *, max_depth: int, check_text: bool) -> JsonProblem | None:
    """The first reason `value` could not be stored and written back, or None; `check_text`
    also looks for lone surrogates (text read back from storage cannot hold them).

    Walked with a stack, not by recursion, so the walk itself never hits a recursion limit.
    """
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        item, location = pending.pop()
        children: Iterable[tuple[str | int, Any]]
        if isinstance(item, dict):
            children = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            if check_text and isinstance(item, str) and not _writable(item):
                return JsonProblem(location, "text must not contain a lone surrogate (an unpaired \\ud800-\\udfff)")
            if isinstance(item, _LongNumber):
                return JsonProblem(location, LONG_NUMBER_REASON)
            continue
        if len(location) >= max_depth:
            return JsonProblem(location, f"nested deeper than {max_depth} levels")
        for key, child in children:
            if check_text and isinstance(key, str) and not _writable(key):
                return JsonProblem(location, "a key must not contain a lone surrogate (an unpaired \\ud800-\\udfff)")
            pending.append((child, (*location, key)))
    return None


def _writable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
