"""Fast epoch → Zendesk ISO-8601 (``2011-05-05T10:38:52Z``): the renderers format millions of timestamps.

Equal to :func:`zd_pipeline.catalogue.to_iso` (a test checks it) but caches the date-and-hour prefix.
"""

from __future__ import annotations

from functools import lru_cache

from zd_pipeline.catalogue import to_iso

_TWO_DIGITS = tuple(f"{i:02d}" for i in range(60))


@lru_cache(maxsize=8192)
def _hour_prefix(hour: int) -> str:
    return to_iso(hour * 3600)[:14]


def iso(epoch: int) -> str:
    hour, rest = divmod(int(epoch), 3600)
    return _hour_prefix(hour) + _TWO_DIGITS[rest // 60] + ":" + _TWO_DIGITS[rest % 60] + "Z"
