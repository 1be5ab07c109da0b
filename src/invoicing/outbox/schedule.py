"""When a failed delivery is tried again: the Standard Webhooks schedule, and Retry-After.

Attempt 1 goes at once; after it fails the next waits 5 s, then 5 min, 30 min, 2 h, 5 h, 10 h,
14 h, 20 h and 24 h: ten attempts over about three and a half days, then the delivery has
failed for good (a manual replay can start it again). A receiver's Retry-After (seconds or an
HTTP date) is honoured when it asks for more than the schedule would wait, up to a day.
"""

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
LONGEST_RETRY_AFTER = timedelta(hours=24)


def next_attempt_at(
    attempts_made: int, *, failed_at: datetime, retry_after: timedelta | None = None
) -> datetime | None:
    """When attempt `attempts_made + 1` is due, after attempt `attempts_made` failed at
    `failed_at`; None once all MAX_ATTEMPTS were made."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_SCHEDULE[attempts_made]
    if retry_after is not None:
        delay = max(delay, min(retry_after, LONGEST_RETRY_AFTER))
    return failed_at + delay


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))
