"""FlowPayroll responses: amounts are JSON numbers, written from their exact decimal text."""

from decimal import Decimal
from typing import Any

import orjson

from invoicing.core.responses import JsonResponse


def _exact_number(value: Any) -> Any:
    # orjson has no Decimal support; a Fragment is written verbatim, so `1180.00` reaches the
    # client digit for digit instead of passing through a binary float (SPEC 4).
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class FlowPayrollResponse(JsonResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_exact_number)
