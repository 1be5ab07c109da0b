"""Slowing down password guessing at the sign-in form."""

import math
import time

from invoicing.core.rate_limit import Buckets


class SignInThrottle:
    """Failed sign-ins slow down: five per e-mail address, then one every 12 seconds; twenty per
    client address, then one every 3 seconds. Checked before the password is (a refused attempt
    costs no hashing); only failures are charged. Per worker process, as the API's rate limit."""

    def __init__(self) -> None:
        self.by_email = Buckets(per_second=1 / 12, burst=5)
        self.by_address = Buckets(per_second=1 / 3, burst=20)

    def wait(self, *, email: str, address: str) -> int | None:
        """Seconds to wait before another attempt may be checked, or None."""
        now = time.monotonic()
        waits = [
            buckets.wait(buckets.refilled(key.encode(), now))
            for buckets, key in ((self.by_email, email.strip().lower()), (self.by_address, address))
        ]
        longest = max((wait for wait in waits if wait is not None), default=None)
        return None if longest is None else math.ceil(longest)

    def failed(self, *, email: str, address: str) -> None:
        now = time.monotonic()
        self.by_email.take(email.strip().lower().encode(), now)
        self.by_address.take(address.encode(), now)
