"""What the dashboard's editing forms share: the API's own schemas validate them, and each refusal
names its field as the API's problem+json does (`lines[0].quantity`), which is also the name of
the form's input, so the message is shown next to it.

A refused save raises out of the page's transaction (so nothing it wrote stays) and the form is
rendered again in a second, read-only one: `refused_fields` turns either kind of refusal into
the messages per field.
"""

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from invoicing.core.errors import Unprocessable
from invoicing.core.problems import field_path

LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(.+)$")
FormRefusal = (ValidationError, Unprocessable)
# Shown above the form; the same words the API's problem+json has for a validation failure.
REFUSED = "Please check the fields marked below."
Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], values: Mapping[str, Any], shapes: Mapping[str, str] | None = None) -> Model:
    """`values` as the API's own schema reads them; a refusal is Unprocessable with the messages
    keyed by the fields' paths (`refused_fields`), as the API would answer."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        raise Unprocessable(REFUSED, errors=refused_fields(error, shapes)) from None


def refused_fields(
    error: ValidationError | Unprocessable, shapes: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Messages per field name (`lines[2].quantity`); a refusal of no one field is filed under "".
    `shapes` says in words what a field's pattern asks (by its last name: `email`), where the
    API's message would quote the regular expression."""
    if isinstance(error, Unprocessable):
        return {field: list(messages) for field, messages in (error.errors or {"": [error.detail]}).items()}
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        field = field_path(problem["loc"]) if problem["loc"] else ""
        message = _message(problem["msg"])
        if problem["type"] == "string_pattern_mismatch":
            message = (shapes or {}).get(str(problem["loc"][-1]), "This is not in the expected form.")
        errors.setdefault(field, []).append(message)
    return errors


def _message(text: str) -> str:
    # pydantic prefixes the message of a validator's ValueError with its kind.
    message = text.removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


def form_context(errors: Mapping[str, list[str]] | None, labels: Mapping[str, str]) -> dict[str, Any]:
    """What a form's template needs for its refusals (templates/forms/fields.html): the messages
    per field, the line above them, and each field's id and label."""
    return {
        "errors": errors or {},
        "refused": REFUSED if errors else "",
        "field_id": field_id,
        "field_label": lambda name: field_label(name, labels),
    }


def field_label(name: str, labels: Mapping[str, str]) -> str:
    """`lines[1].quantity` -> `Line 2: Quantity`; other names by `labels`, else as they are."""
    found = LINE_FIELD.match(name)
    if found:
        return f"Line {int(found.group(1)) + 1}: {labels.get(found.group(2), found.group(2))}"
    return labels.get(name, name)


def text_of(form: FormData | None, name: str) -> str:
    value = form.get(name, "") if form is not None else ""
    return value if isinstance(value, str) else ""


def optional(text: str) -> str | None:
    """An empty input sends nothing (None), as a JSON client would leave the key out or null."""
    return text if text.strip() else None


def field_id(name: str) -> str:
    """An HTML id for a field named `lines[0].quantity`: `f-lines-0-quantity`."""
    return "f-" + re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-")
