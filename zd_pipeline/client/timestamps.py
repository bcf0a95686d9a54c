"""Ordering timestamps to epoch seconds, fast: this runs once per record of every page.

Zendesk writes ISO timestamps as ``2011-05-05T10:38:52Z``. Parsing that with ``datetime`` costs more than
parsing the record's JSON for small records (metric events), so the hour's epoch is cached by its
``YYYY-MM-DDTHH`` prefix and minutes and seconds are added. Anything not in exactly that shape goes through
``catalogue.to_epoch``, which defines the result (a test checks both agree).
"""

from __future__ import annotations

from functools import lru_cache

from zd_pipeline.catalogue import to_epoch


@lru_cache(maxsize=4096)
def _hour_start(prefix: str) -> int:
    return to_epoch(prefix + ":00:00Z")


def epoch_of(value: object) -> int:
    """Epoch seconds of an ordering value, equal to ``catalogue.to_epoch(value)``; raises as it does."""
    if type(value) is int:
        return value
    if (
        type(value) is str
        and len(value) == 20
        and value[13] == ":"
        and value[16] == ":"
        and value[19] == "Z"
        and value[14:16].isdigit()
        and value[17:19].isdigit()
    ):
        minutes, seconds = int(value[14:16]), int(value[17:19])
        if minutes < 60 and seconds < 60:
            return _hour_start(value[:13]) + minutes * 60 + seconds
    return to_epoch(value)
