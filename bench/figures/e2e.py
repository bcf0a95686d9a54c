"""Figure 4: ``zd-pipeline sync`` of every stream through Dagster (limit off) as a share of a raw fetch.

A simulator process serves the account; the raw reference pages the same streams from the same start time with
a bare httpx loop (streams one after another); then the sync runs as a subprocess on a fresh Dagster instance
and DuckDB file. Records/s of the sync = records fetched (its materialization metadata) / the process's wall
time (Python start, Dagster, every page written, the asset checks).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench.common import ALL_STREAMS, Figure, SyncSandbox, raw_fetch, simulator_process
from bench.figures import Profile, start_date

GOAL_RATIO = 0.5


def measure(profile: Profile) -> list[Figure]:
    since = start_date(profile.e2e_days)
    start_epoch = 0 if since is None else int(datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp())
    with simulator_process(profile.e2e_scale) as base_url:
        raw_records, raw_seconds = raw_fetch(base_url, ALL_STREAMS, start_epoch)
        with SyncSandbox(base_url, start_date=since) as sandbox:
            run = sandbox.sync(ALL_STREAMS)
            meta = sandbox.materializations(ALL_STREAMS)
            in_run = sandbox.last_run_seconds()
    fetched = sum(int(m["records_fetched"]) for m in meta.values())
    raw_rate, sync_rate = raw_records / raw_seconds, fetched / run.seconds
    ratio = sync_rate / raw_rate
    scope = f"{profile.e2e_scale} scale" + (f", last {profile.e2e_days} days" if profile.e2e_days else "")
    note = (
        f"{scope}: {fetched:,} records in {run.seconds:.1f} s ({in_run:.1f} s inside the Dagster run); "
        f"raw {raw_records:,} in {raw_seconds:.1f} s = {raw_rate:,.0f} rec/s"
    )
    return [
        Figure(
            4,
            "end to end through Dagster, all streams",
            f"{ratio:.2f} × raw ({sync_rate:,.0f} rec/s)",
            f"≥ {GOAL_RATIO}",
            ratio >= GOAL_RATIO,
            note,
            {"ratio": ratio, "seconds": run.seconds, "records": fetched},
        )
    ]
