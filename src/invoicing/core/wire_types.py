"""Field types whose published JSON Schema says exactly what the server accepts.

The OpenAPI document is a contract that generated clients and fuzzers (schemathesis) hold us
to: every value the schema allows must be accepted, every value it forbids refused. Pydantic's
lax mode accepts more than its schemas say (`"1_000"` and Arabic-Indic digits as decimals,
`"true"` as a boolean, `0` as a date, `"7"` as a body id), so these types validate by the same
rule they publish.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# JavaScript's largest safe integer: every id stays exact in any JSON client; ids never get near.
MAX_ID = 2**53 - 1


PLAIN_DIGITS = "In plain ASCII digits: no sign, leading zero, fraction, exponent, separator, blank or line break."


@dataclass(frozen=True, slots=True)
class PlainInteger:
    """`Annotated[int, PlainInteger(...)]`: an integer of a path or query, where every value
    arrives as text, in plain ASCII digits from `minimum` to `maximum`.

    Plain digits are an integer's one spelling: `int`'s lax parsing would read `38.0`, ` 38`,
    `+38` and `38_0` (as 380). The published schema is `integer` with the bounds, which as a
    parameter's text is exactly those digits (schema-driven clients and schemathesis send
    `2`, never `2.0`, `+2` or `02`). A `pattern` is not added: JSON Schema ignores it on an
    integer, and negative-data generators keep it when they retype the value as a string, where
    it would leave them nothing to send. The description says it in words.
    """

    minimum: int
    maximum: int

    @property
    def text_pattern(self) -> str:
        # No sign, separator or leading zero (`0` itself aside); never more digits than `maximum` has.
        # `(?!\n)`: `$` admits one final newline under `re.search`.
        return f"^(0|[1-9][0-9]{{0,{len(str(self.maximum)) - 1}}})(?!\\n)$"

    def from_text(self, value: Any) -> Any:
        if isinstance(value, str):
            if not re.search(self.text_pattern, value):
                raise PydanticCustomError("int_parsing", "must be an integer in plain digits, such as 38")
            return int(value)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        integer = core_schema.int_schema(ge=self.minimum, le=self.maximum)
        return core_schema.no_info_before_validator_function(self.from_text, integer)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum, "description": PLAIN_DIGITS}


PositiveId = Annotated[int, PlainInteger(minimum=1, maximum=MAX_ID)]
"""An id in a path or query, where every value arrives as text."""


def _json_integer(value: Any) -> Any:
    # JSON Schema's `integer` is any number with no fraction (5 and 5.0 alike), never a string or boolean.
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON integer")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("must be a JSON integer")
        return int(value)
    return value


BodyId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
"""An id in a JSON body."""

JsonInteger = BeforeValidator(_json_integer)
"""`Annotated[int, Field(ge=..., le=...), JsonInteger]`: a count in a JSON body (5 and 5.0 alike)."""

Flag = StrictBool
"""A JSON boolean; `"true"` or `1` is not one."""

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
# ASCII whitespace spelt out: `\s` means different sets in ECMA-262, Python and Rust regexes.
WHITESPACE = r" \t\n\r\f\v"
SOME_TEXT = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"  # not blank

# Patterns are matched as JSON Schema tools match them (`re.search`, where `$` also matches
# before one final newline), so the server accepts exactly what a schema-driven client may send.
# They spell code points out (`\x..`, `\u....`, no `\s` or `\p{..}`, whose sets differ between
# ECMA-262, Python and Rust regexes) and stay in the Basic Multilingual Plane, which every
# engine reads as the same characters.

# -- names: at least one visible character, no bidi control ----------------------------------

# Bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI): they reorder what follows them,
# so a name could display as something else (a Trojan Source trick). Refused anywhere in a name.
BIDI_CONTROLS = r"\u202A-\u202E\u2066-\u2069"
# What renders as nothing, or only as space: C0/C1 controls, every Unicode space (Zs, U+2028,
# U+2029), the format characters of the BMP (soft hyphen, ZWSP/ZWNJ/ZWJ, LRM/RLM/ALM, word
# joiner and invisible operators, BOM/ZWNBSP, interlinear annotation), and the characters that
# are letters to Unicode but draw nothing (Hangul fillers, Khmer inherent vowels, Mongolian
# variation selectors, combining grapheme joiner, variation selectors, Braille blank).
INVISIBLE = (
    r"\x00-\x20\x7F-\xA0\xAD\u034F\u061C\u115F\u1160\u1680\u17B4\u17B5\u180B-\u180F"
    r"\u2000-\u200F\u2028-\u202F\u205F-\u206F\u2800\u3000\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB"
)
# The Unicode spaces beyond ASCII's (Zs, and the line and paragraph separators).
UNICODE_SPACES = r"\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
VISIBLE_NAME = rf"^[^\x00{BIDI_CONTROLS}]*[^{INVISIBLE}{BIDI_CONTROLS}][^\x00{BIDI_CONTROLS}]*$"


# `""` or a visible name. JSON Schema tools' `$` also matches before a final newline, so they
# admit "\n" as empty: the server takes it, and keeps it as "" (every other value ends inside
# the pattern proper and is kept as sent).
OPTIONAL_NAME = rf"^([^\x00{BIDI_CONTROLS}]*[^{INVISIBLE}{BIDI_CONTROLS}][^\x00{BIDI_CONTROLS}]*)?$"


@dataclass(frozen=True, slots=True)
class VisibleName:
    """`Annotated[str, VisibleName(n)]`: a person's, company's, item's or document's name.

    1 to n characters, at least one of them visible, none a bidi control. `optional=True` also
    takes `""`, meaning no name.
    """

    max_length: int
    optional: bool = False

    @property
    def pattern(self) -> str:
        return OPTIONAL_NAME if self.optional else VISIBLE_NAME

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        text = core_schema.str_schema(min_length=0 if self.optional else 1, max_length=self.max_length)
        return core_schema.no_info_after_validator_function(self.validate, text)

    def validate(self, value: str) -> str:
        if not re.search(self.pattern, value):
            raise PydanticCustomError(
                "string_pattern_mismatch", "must hold a visible character, and no bidi control character"
            )
        return "" if value == "\n" else value

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {
            "type": "string",
            "minLength": 0 if self.optional else 1,
            "maxLength": self.max_length,
            "pattern": self.pattern,
        }


# -- URLs: http(s) with a host --------------------------------------------------------------

_URL_HOST = rf"([^\x00-\x20\x7F/?#@\[\]\\:{BIDI_CONTROLS}]+|\[[0-9A-Fa-f:.]+\])"
# No user info (`https://bank.example@evil.example`), no blanks or controls anywhere.
WEB_URL = rf"^[Hh][Tt][Tt][Pp][Ss]?://{_URL_HOST}(:[0-9]{{1,5}})?([/?#][^\x00-\x20\x7F{BIDI_CONTROLS}]*)?$"


def _without_final_newline(value: str) -> str:
    # `$` admits one final newline, which no URL holds: it is dropped, not stored.
    return value.removesuffix("\n")


WebUrl = Annotated[str, StringConstraints(max_length=2048, pattern=WEB_URL), AfterValidator(_without_final_newline)]
"""An absolute http or https URL with a host (no javascript:, data:, ftp: or relative URLs)."""

# 1 to 65535 in plain digits.
PORT_NUMBER = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
SERVER_URL = rf"^[Hh][Tt][Tt][Pp][Ss]?://{_URL_HOST}(:{PORT_NUMBER})?([/?#][^\x00-\x20\x7F{BIDI_CONTROLS}]*)?$"

ServerUrl = Annotated[
    str, StringConstraints(max_length=2048, pattern=SERVER_URL), AfterValidator(_without_final_newline)
]
"""A WebUrl the service itself connects to (a webhook endpoint): its port, if any, one that exists."""

# -- dates: a documented range ----------------------------------------------------------------

# Business dates (issue, due, payment) lie in 1900-01-01..2199-12-31: far from any real invoice,
# and the invoice number's year keeps 4 digits. Dates of birth reach back to 1800.
BUSINESS_YEARS = "(19[0-9]{2}|2[01][0-9]{2})"
BIRTH_YEARS = "(1[89][0-9]{2}|2[01][0-9]{2})"
ANY_YEAR = "[0-9]{4}"


def _date_text(pattern: str, description: str) -> BeforeValidator:
    compiled = re.compile(pattern)

    def date_text(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.search(value):
            raise ValueError(f"must be a date as YYYY-MM-DD, {description}")
        return value[:10]

    return BeforeValidator(date_text)


def _date_schema(pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "format": "date", "pattern": pattern})


_BUSINESS_DATE = rf"^{BUSINESS_YEARS}-[0-9]{{2}}-[0-9]{{2}}$"
_BIRTH_DATE = rf"^{BIRTH_YEARS}-[0-9]{{2}}-[0-9]{{2}}$"
_ANY_DATE = rf"^{ANY_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"

CalendarDate = Annotated[
    date, _date_text(_BUSINESS_DATE, "from 1900-01-01 to 2199-12-31"), _date_schema(_BUSINESS_DATE)
]
"""A business date (issue, due), only as the text YYYY-MM-DD, in 1900-01-01..2199-12-31."""

BirthDate = Annotated[date, _date_text(_BIRTH_DATE, "from 1800-01-01 to 2199-12-31"), _date_schema(_BIRTH_DATE)]
"""A date of birth, as YYYY-MM-DD, in 1800-01-01..2199-12-31."""

FilterDate = Annotated[date, _date_text(_ANY_DATE, "with a 4-digit year"), _date_schema(_ANY_DATE)]
"""A date bounding a search (stores nothing): any 4-digit year, so `9999-12-31` can mean "no bound"."""

MOMENT_PATTERN = rf"^{BUSINESS_YEARS}-"


def _moment_text(value: Any) -> Any:
    # RFC 3339 text only: lax parsing would also read a bare number as a Unix time.
    if not isinstance(value, str) or not re.search(MOMENT_PATTERN, value):
        raise ValueError("must be a date-time such as 2026-01-31T09:30:00Z, its date from 1900 to 2199")
    return value


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)  # within 1900..2199 as written, so always representable


BusinessMoment = Annotated[
    AwareDatetime,
    BeforeValidator(_moment_text),
    AfterValidator(_in_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": MOMENT_PATTERN}),
]
"""A moment with a time zone (payments), its date as written in 1900..2199; kept in UTC."""


def _nonzero_fraction(places: int) -> str:
    # "0.0...0d...": at least one non-zero digit among at most `places` decimals.
    return "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{places - 1 - zeros}}}" for zeros in range(places))


def decimal_pattern(*, integer_digits: int, places: int, positive: bool) -> str:
    """Plain decimal text from 0 (or just above, if `positive`) up to 10^integer_digits inclusive."""
    whole = f"[1-9][0-9]{{0,{integer_digits - 1}}}"
    fraction = f"(\\.[0-9]{{1,{places}}})?" if places else ""
    limit = f"1{'0' * integer_digits}" + (f"(\\.0{{1,{places}}})?" if places else "")
    if not positive:
        return f"^((0|{whole}){fraction}|{limit})$"
    if not places:
        return f"^({whole}|{limit})$"
    return f"^({whole}{fraction}|0\\.({_nonzero_fraction(places)})|{limit})$"


def plain_decimal(value: Decimal) -> Decimal:
    """The decimal as its plain text reads back: `1e2` (a JSON number) is `100`, never `1E+2`,
    and `-0.0` is `0.0`. The decimals sent are kept (`100.0000`).

    What a request gets stored, recorded in events and shown is then one value in one form, on
    both databases (SQLite keeps the text of a Decimal as it is).
    """
    plain = Decimal(format(value, "f"))
    return plain.copy_abs() if plain.is_zero() else plain


@dataclass(frozen=True, slots=True)
class ExactDecimal:
    """`Annotated[Decimal, ExactDecimal(...)]`: a decimal sent as a JSON number or as a plain
    decimal string (`"1180.50"`), at most 10^integer_digits, with at most `places` decimals.

    Strings must match the published pattern (no exponent, sign, separators or non-ASCII digits);
    numbers must be a multiple of 10^-places within the same bounds.
    """

    integer_digits: int
    places: int
    positive: bool
    error_code: str | None = None  # every refusal of the field gets this error type (a problem code)

    @property
    def text_pattern(self) -> str:
        return decimal_pattern(integer_digits=self.integer_digits, places=self.places, positive=self.positive)

    def from_json(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a decimal number or string")
        if isinstance(value, str):
            if not re.search(self.text_pattern, value):
                raise ValueError(f"must be a plain decimal string with at most {self.places} decimals, such as '12.50'")
            return Decimal(value.strip())
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        lower: dict[str, Any] = {"gt": Decimal(0)} if self.positive else {"ge": Decimal(0)}
        decimal = core_schema.decimal_schema(
            allow_inf_nan=False, decimal_places=self.places, le=Decimal(10) ** self.integer_digits, **lower
        )
        return core_schema.no_info_wrap_validator_function(self.validate, decimal)

    def validate(self, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return plain_decimal(handler(self.from_json(value)))
        except (ValueError, ValidationError) as error:
            if self.error_code is None:
                raise
            bound = "more than 0" if self.positive else "at least 0"
            raise PydanticCustomError(
                self.error_code,
                "must be a decimal {bound}, at most {maximum}, with at most {places} decimals",
                {"bound": bound, "maximum": 10**self.integer_digits, "places": self.places},
            ) from error

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The schema's own constants (not money): a float is how JSON Schema writes them.
        number: dict[str, Any] = {
            "type": "number",
            "multipleOf": float(Decimal(1).scaleb(-self.places)),
            "maximum": 10**self.integer_digits,
        }
        number["exclusiveMinimum" if self.positive else "minimum"] = 0
        return {"anyOf": [number, {"type": "string", "pattern": self.text_pattern}]}


# -- contact details and codes from a list -----------------------------------------------------

_EMAIL_PART = rf"[^@\x00{WHITESPACE}]+"
Email = Annotated[str, StringConstraints(max_length=254, pattern=rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$")]
"""An e-mail address: something, `@`, and a dotted domain, without blanks."""


@dataclass(frozen=True, slots=True)
class CodeOf:
    """`Annotated[str, CodeOf(codes, "what")]`: one code of a published list (countries, EAS
    schemes, unit codes...), exactly as the list spells it; the schema is the list as an enum."""

    codes: tuple[str, ...]
    what: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, core_schema.str_schema())

    def validate(self, value: str) -> str:
        if value not in _code_set(self.codes):
            raise PydanticCustomError("enum", "must be {what}", {"what": self.what})
        return value

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.codes), "description": f"{self.what[0].upper()}{self.what[1:]}."}


@cache
def _code_set(codes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(codes)
