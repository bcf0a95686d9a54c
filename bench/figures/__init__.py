"""One module per figure of ``bench.run``; each exposes ``measure(profile) -> list[Figure]``.

:class:`Profile` holds every size a figure uses, so ``--quick`` (and the test suite's toy smoke run) only swap
profiles: :data:`FULL` is the sizes the goals are set for, :data:`QUICK` fits a few minutes, :data:`TOY` a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    fetch_scale: str  # figures 1-2: simulator scale, tickets per run, ABBA rounds
    fetch_records: int
    fetch_rounds: int
    warehouse_rows: int  # figures 3 and 9: rows already in the table
    warehouse_pages: int
    e2e_scale: str  # figure 4
    e2e_days: int | None  # ZENDESK_START_DATE = today - days (None: the default, the whole history)
    limited_scale: str  # figure 5
    limited_rpm: int
    limited_days: int
    memory_scale: str  # figure 6: tickets only, the smaller sync starts memory_small_days ago
    memory_small_days: int
    incremental_scale: str  # figure 7
    incremental_days: int | None
    sensor_scale: str  # figure 8
    sensor_interval: int
    bookkeeping_scale: str = "demo"  # figure 10: first syncs of a short and a long history, per storage
    bookkeeping_days: tuple[int, int] = (90, 3 * 365 + 1)
    bookkeeping_limited_rpm: int = 50  # the rate-limited long history's limit: demo's 3 years page in ~10 minutes
    bookkeeping_unbatched: bool = False  # also the long history with DAGSTER_EVENT_BATCH_SIZE=0 (two more syncs)


FULL = Profile(
    name="full",
    fetch_scale="bench",
    fetch_records=200_000,
    fetch_rounds=2,
    warehouse_rows=1_000_000,
    warehouse_pages=200,  # of 1,000 tickets, through the sync engine (bench.warehouse_speed)
    e2e_scale="demo",
    e2e_days=None,
    limited_scale="demo",
    limited_rpm=10,
    limited_days=11,  # busiest endpoint ~47 requests: a 4-minute bound
    memory_scale="bench",
    memory_small_days=3,
    incremental_scale="bench",  # the whole bench account (~17 million records); see bench/figures/incremental.py
    incremental_days=None,
    sensor_scale="small",
    sensor_interval=1,
)

QUICK = Profile(
    name="quick",
    fetch_scale="demo",
    fetch_records=30_000,
    fetch_rounds=1,
    warehouse_rows=100_000,
    warehouse_pages=30,
    e2e_scale="demo",
    e2e_days=10,
    limited_scale="demo",
    limited_rpm=30,
    limited_days=9,
    memory_scale="demo",
    memory_small_days=9,
    incremental_scale="demo",
    incremental_days=10,
    sensor_scale="small",
    sensor_interval=1,
    bookkeeping_days=(30, 365),
    bookkeeping_limited_rpm=60,
)

TOY = Profile(
    name="toy",
    fetch_scale="small",
    fetch_records=2_500,
    fetch_rounds=1,
    warehouse_rows=2_000,
    warehouse_pages=3,
    e2e_scale="small",
    e2e_days=None,
    limited_scale="small",
    limited_rpm=600,
    limited_days=2,
    memory_scale="small",
    memory_small_days=2,
    incremental_scale="small",
    incremental_days=None,
    sensor_scale="small",
    sensor_interval=1,
    bookkeeping_scale="small",
    bookkeeping_days=(3, 10),
    bookkeeping_limited_rpm=3,
    bookkeeping_unbatched=True,
)

PROFILES = {p.name: p for p in (FULL, QUICK, TOY)}


def start_date(days: int | None) -> str | None:
    """``ZENDESK_START_DATE`` for a sync of the last ``days`` days (None: leave the default)."""
    if days is None:
        return None
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()
