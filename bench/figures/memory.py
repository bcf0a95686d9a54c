"""Figure 6: peak RSS of a whole ``zd-pipeline sync`` process (Dagster included), small account vs large.

The tickets stream only (a full all-stream sync at 1,000,000 tickets means ~17 million records at bench scale,
too long for a routine bench run): the same simulator process serves both syncs; the smaller one starts
``memory_small_days`` days ago (~100,000 tickets at bench scale), the larger one covers the whole history
(1,000,000). Each runs on a fresh instance and DuckDB file; the peak is the sync process's own ``VmHWM`` (see
``SyncSandbox.sync`` for why not ``wait4``), never the simulator's.
"""

from __future__ import annotations

from bench.common import Figure, SyncSandbox, simulator_process
from bench.figures import Profile, start_date

GOAL_RATIO = 1.2
GOAL_MB = 500.0


def measure(profile: Profile) -> list[Figure]:
    peaks: dict[str, tuple[int, float, float]] = {}
    with simulator_process(profile.memory_scale) as base_url:
        for label, days in (("small", profile.memory_small_days), ("large", None)):
            with SyncSandbox(base_url, start_date=start_date(days)) as sandbox:
                run = sandbox.sync(["tickets"])
                tickets = int(sandbox.materializations(["tickets"])["tickets"]["records_fetched"])
            peaks[label] = (tickets, run.peak_rss_mb, run.seconds)
    (small_n, small_mb, small_s), (large_n, large_mb, large_s) = peaks["small"], peaks["large"]
    ratio = large_mb / small_mb
    note = (
        f"tickets stream, {profile.memory_scale} scale: {small_n:,} tickets → {small_mb:.0f} MB ({small_s:.0f} s), "
        f"{large_n:,} → {large_mb:.0f} MB ({large_s:.0f} s); peak RSS of the sync process (its VmHWM)"
    )
    return [
        Figure(
            6,
            f"memory: peak RSS at {large_n:,} vs {small_n:,} tickets",
            f"{ratio:.2f} ×, {large_mb:.0f} MB",
            f"≤ {GOAL_RATIO} ×, ≤ {GOAL_MB:.0f} MB",
            ratio <= GOAL_RATIO and large_mb <= GOAL_MB,
            note,
            {"ratio": ratio, "large_mb": large_mb, "small_mb": small_mb, "large_n": large_n, "small_n": small_n},
        )
    ]
