"""``Retry-After`` as servers and proxies really send it: the longest wait any of its values names.

Zendesk sends whole seconds on a 429 and on the 503s of a maintenance window; proxies and load balancers in front
of it send fractional seconds, an HTTP-date (RFC 9110 ``IMF-fixdate``, also the obsolete RFC 850 and asctime
forms), the header twice, or several values joined with commas. Every value found is read and the longest wait
wins: waiting too long costs time, sending too early costs a refused request and, in a maintenance window, more
load on a server that asked for quiet. A date in the past means "now" (0 s); values that are none of these are
ignored (and if nothing is readable the caller backs off on its own).
"""

from __future__ import annotations

import math
import re
from email.utils import parsedate_to_datetime

# A date holds a comma of its own ("Sun, 06 Dec 2026 01:00:00 GMT"), so dates are taken out before commas split.
_DATE = re.compile(
    r"[A-Za-z]{3,9},\s*\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4}\s+\d{2}:\d{2}:\d{2}\s*GMT"  # IMF-fixdate, RFC 850
    r"|[A-Za-z]{3}\s+[A-Za-z]{3}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4}"  # asctime
)


def retry_after_seconds(values: list[str], now: float) -> float | None:
    """The longest wait (seconds from ``now``, epoch s) named by the ``Retry-After`` header ``values``, or ``None``
    when none is readable."""
    waits: list[float] = []
    for value in values:
        for date in _DATE.findall(value):
            wait = _date_wait(date, now)
            if wait is not None:
                waits.append(wait)
        for part in _DATE.sub(",", value).split(","):
            wait = _seconds(part.strip())
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


def _seconds(text: str) -> float | None:
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _date_wait(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now)
