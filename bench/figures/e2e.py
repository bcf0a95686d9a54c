"""Figure 4: ``zd-pipeline sync`` of every stream through Dagster (limit off) as a share of a raw fetch.

A simulator process serves the account; the raw reference pages the same streams from the same start time with
a bare httpx loop (streams one after another); the sync runs as a subprocess on a fresh Dagster instance and
DuckDB file. Records/s of the sync = records fetched (its materialization metadata) / the process's wall time
(Python start, Dagster, every page written, the asset checks).

Both are measured twice, in the order raw, sync, sync, raw (ABBA, as figure 2), and the ratio is of the mean
rates: on a shared machine one raw fetch alone can move the ratio by a tenth between runs. Each raw fetch runs in a
fresh interpreter, as each sync does: in this process, once Dagster is imported (reading a sync's results does),
the collector's full passes walk its objects during the loop and slow the same fetch markedly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from bench.common import ALL_STREAMS, PROJECT_ROOT, Figure, SyncSandbox, simulator_process
from bench.figures import Profile, start_date

GOAL_RATIO = 0.5


def measure(profile: Profile) -> list[Figure]:
    since = start_date(profile.e2e_days)
    start_epoch = 0 if since is None else int(datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp())
    raws: list[tuple[int, float]] = []
    syncs: list[tuple[int, float, float]] = []
    with simulator_process(profile.e2e_scale) as base_url:
        for step in ("raw", "sync", "sync", "raw"):
            if step == "raw":
                raws.append(_raw(base_url, start_epoch))
            else:
                syncs.append(_sync(base_url, since))
    raw_records, raw_seconds = sum(n for n, _ in raws) / len(raws), sum(s for _, s in raws) / len(raws)
    fetched, seconds = sum(n for n, _, _ in syncs) / len(syncs), sum(s for _, s, _ in syncs) / len(syncs)
    in_run = sum(r for _, _, r in syncs) / len(syncs)
    raw_rate, sync_rate = raw_records / raw_seconds, fetched / seconds
    ratio = sync_rate / raw_rate
    scope = f"{profile.e2e_scale} scale" + (f", last {profile.e2e_days} days" if profile.e2e_days else "")
    note = (
        f"{scope}, raw-sync-sync-raw: {fetched:,.0f} records in {seconds:.1f} s "
        f"({' and '.join(f'{s:.1f}' for _, s, _ in syncs)} s; {in_run:.1f} s inside the Dagster run); raw "
        f"{raw_records:,.0f} in {raw_seconds:.1f} s ({' and '.join(f'{s:.1f}' for _, s in raws)} s) = "
        f"{raw_rate:,.0f} rec/s"
    )
    return [
        Figure(
            4,
            "end to end through Dagster, all streams",
            f"{ratio:.2f} × raw ({sync_rate:,.0f} rec/s)",
            f"≥ {GOAL_RATIO}",
            ratio >= GOAL_RATIO,
            note,
            {"ratio": ratio, "seconds": seconds, "records": fetched},
        )
    ]


def _sync(base_url: str, since: str | None) -> tuple[int, float, float]:
    """One ``zd-pipeline sync`` of every stream on a fresh instance and file: records fetched, the process's wall
    time, the time inside the Dagster run."""
    with SyncSandbox(base_url, start_date=since) as sandbox:
        run = sandbox.sync(ALL_STREAMS)
        meta = sandbox.materializations(ALL_STREAMS)
        in_run = sandbox.last_run_seconds()
    return sum(int(m["records_fetched"]) for m in meta.values()), run.seconds, in_run


RAW_SCRIPT = """
import json, sys
from bench.common import ALL_STREAMS, raw_fetch
print(json.dumps(raw_fetch(sys.argv[1], ALL_STREAMS, int(sys.argv[2]))))
"""


def _raw(base_url: str, start_epoch: int) -> tuple[int, float]:
    """``bench.common.raw_fetch`` of every stream in a fresh interpreter: (records, seconds of its loop)."""
    done = subprocess.run(
        [sys.executable, "-c", RAW_SCRIPT, base_url, str(start_epoch)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
        timeout=3600,
    )
    records, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    return int(records), float(seconds)
