"""Daily UTC partitions and the epoch window a partition range covers.

Meaning (also in the README): materializing day D applies every change whose ordering timestamp falls in
``[D, D+1)`` UTC; today's partition exists (``end_offset=1``) and its end is clamped to now − 60 s, because
Zendesk never serves the most recent minute. Re-materializing a partition is idempotent (newest-wins upserts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg

LAG_SECONDS = 60


def daily_partitions(start_date: date) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone="UTC", end_offset=1)


def window_epochs(window: dg.TimeWindow) -> tuple[int, int]:
    return int(window.start.timestamp()), int(window.end.timestamp())


def clamp_end(window_end: int, now: float) -> int:
    """The exclusive bound to ask of the export: the window's end, but never within the last minute."""
    return min(window_end, int(now) - LAG_SECONDS)


def partition_key_of(epoch: int) -> str:
    """The daily partition key (``YYYY-MM-DD``) holding ``epoch``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
