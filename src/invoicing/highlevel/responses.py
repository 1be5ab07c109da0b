"""HighLevel responses: amounts are JSON numbers, written from their exact decimal text (SPEC 4)."""

from decimal import Decimal
from typing import Any

import orjson

from invoicing.core.responses import JsonResponse

# Zeros a number's plain form may add to the digits it was sent with (1e16 is still written out).
MAX_PADDING = 16


def exact_number(value: Any) -> Any:
    # orjson has no Decimal support; a Fragment is written verbatim, so `1180.00` reaches the
    # client digit for digit instead of passing through a binary float. Written plainly, as
    # amounts always are, unless that would pad the digits with many zeros: then the number
    # keeps its exponent (`1E+1000000`, as a client sent it), so 9 bytes never answer 1 MB.
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int), "finite"
        padding = exponent if exponent > 0 else -value.adjusted() - 1
        return orjson.Fragment((format(value, "f") if padding <= MAX_PADDING else str(value)).encode())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class HighLevelResponse(JsonResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=exact_number)
