"""Checking JSON bodies against the seeds' documented shapes.

A shape maps each key to `{"type": ..., "nullable": bool, "keys": {...}}` (`keys` only for objects).
Keys starting with `_` are comments. Every key of the shape must be present with its type; extra
keys are allowed (the API may add keys, never drop or retype the seeds' ones). Reusable for any
envelope: build one with `object_shape(...)`/`field(...)` around `invoice_shape()`.
"""

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from tests.conftest import FIXTURES

JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def json_type_of(value: Any) -> str:
    """The JSON type name of a decoded value (`bool` is not an integer here)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    for name in ("string", "object", "array"):
        if isinstance(value, JSON_TYPES[name]):
            return name
    return type(value).__name__


def _matches(value: Any, expected: str) -> bool:
    actual = json_type_of(value)
    return actual == expected or (expected == "number" and actual == "integer")


def assert_shape(value: Any, shape: Mapping[str, Any], path: str = "$") -> None:
    """Assert `value` is an object holding every key of `shape` with the documented type.

    Failure messages name the path, e.g. `$.data.invoice.customer.email: expected string, got integer (5)`.
    """
    assert isinstance(value, dict), f"{path}: expected object, got {json_type_of(value)} ({value!r:.80})"
    missing = [key for key in shape if not key.startswith("_") and key not in value]
    assert not missing, f"{path}: missing keys {missing}; present: {sorted(value)}"
    for key, spec in shape.items():
        if key.startswith("_"):
            continue
        assert_field(value[key], spec, f"{path}.{key}")


def assert_field(value: Any, spec: Mapping[str, Any], path: str) -> None:
    expected = spec["type"]
    assert expected in JSON_TYPES, f"{path}: the shape names an unknown type {expected!r}"
    if value is None:
        assert spec.get("nullable", False), f"{path}: expected {expected}, got null (not nullable)"
        return
    assert _matches(value, expected), f"{path}: expected {expected}, got {json_type_of(value)} ({value!r:.80})"
    if expected == "object" and "keys" in spec:
        assert_shape(value, spec["keys"], path)
    if expected == "array" and "items" in spec:
        for index, item in enumerate(value):
            assert_field(item, spec["items"], f"{path}[{index}]")


def field(json_type: str, *, nullable: bool = False, keys: Mapping[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": json_type, "nullable": nullable}
    if keys is not None:
        spec["keys"] = dict(keys)
    return spec


def object_shape(**fields: Mapping[str, Any]) -> dict[str, Any]:
    """A shape from keyword fields, e.g. `object_shape(success=field("string"), data=field("object", keys=...))`."""
    return dict(fields)


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, so callers may change what they get without touching the cached fixture."""
    return dict(json.loads(json.dumps(value)))


@cache
def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def invoice_shape() -> dict[str, Any]:
    """Seed 000's `invoice` object (tests/fixtures/seed_000_invoice_shape.json)."""
    return _copy(_load("seed_000_invoice_shape.json"))


def customer_shape() -> dict[str, Any]:
    return dict(invoice_shape()["customer"]["keys"])


def currency_shape() -> dict[str, Any]:
    return dict(invoice_shape()["currency"]["keys"])


def seed_000_example() -> dict[str, Any]:
    """The verbatim documented response of seed 000 (cancel), placeholders and all."""
    return _copy(_load("seed_000_cancel_response_example.json")["example"])


def cancel_envelope_shape() -> dict[str, Any]:
    """Seed 000's whole response: `{"success": string, "data": {"message": string, "invoice": ...}}`."""
    return object_shape(
        success=field("string"),
        data=field("object", keys={"message": field("string"), "invoice": field("object", keys=invoice_shape())}),
    )


def null_paths(value: dict[str, Any], shape: dict[str, Any], path: str = "$") -> list[str]:
    """Paths of shape keys whose value is null, recursively."""
    found = []
    for key, spec in shape.items():
        if key.startswith("_"):
            continue
        if value[key] is None:
            found.append(f"{path}.{key}")
        elif spec["type"] == "object" and "keys" in spec:
            found += null_paths(value[key], spec["keys"], f"{path}.{key}")
    return found
