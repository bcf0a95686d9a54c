"""Figure 8: seconds from a change becoming visible in Zendesk to its row landing in DuckDB, sensor-driven.

A real ``dagster-daemon run`` (the repo's ``workspace.yaml``, a temporary ``DAGSTER_HOME`` holding the repo's
``dagster.yaml``, ``ZD_SENSOR_INTERVAL_SECONDS`` at its shortest) runs the sync sensor, which launches each run in
its own process as in production. The simulator runs in this process with a ``ManualClock`` ten minutes behind
the wall clock: after a full sync and the daemon's first run, one ticket is updated and the clock is advanced
past the one-minute lag; from that instant (the change is visible) this process polls the DuckDB file read-only
until the ticket's new version is there. Repeated ``sensor_samples`` times; the median is the figure.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.common import ALL_STREAMS, Figure, SyncSandbox
from bench.figures import Profile
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.settings import PROJECT_ROOT

SIMULATOR_BEHIND_WALL_CLOCK = 600
SAMPLES = 3
DAEMON = str(Path(sys.executable).with_name("dagster-daemon"))


def measure(profile: Profile, samples: int = SAMPLES, timeout_s: float = 300.0) -> list[Figure]:
    from zd_pipeline.clock import ManualClock
    from zd_pipeline.simulator import Credentials, Simulator, serve

    clock = ManualClock(time.time() - SIMULATOR_BEHIND_WALL_CLOCK)
    sim = Simulator(profile.sensor_scale, seed=0, clock=clock, rate_limit=None, credentials=Credentials.demo())
    latencies: list[float] = []
    with serve(sim) as base_url, SyncSandbox(base_url) as box:
        box.sync(ALL_STREAMS)
        box.env["ZD_SENSOR_INTERVAL_SECONDS"] = str(profile.sensor_interval)
        daemon = subprocess.Popen(
            [DAEMON, "run", "-w", "workspace.yaml"],
            cwd=PROJECT_ROOT,
            env=box.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the daemon, its code server and its runs
        )
        try:
            _wait_for_daemon_run(box, timeout_s)
            for sample in range(samples):
                ticket_id = sim.mutate(updates=1, seed=1000 + sample)["tickets"]["updated"][0]
                before = _ordering_ts(box.duckdb_path, ticket_id)
                clock.advance(61)  # the change is now visible through the export
                visible = time.perf_counter()
                while (_ordering_ts(box.duckdb_path, ticket_id) or 0) <= (before or 0):
                    if time.perf_counter() - visible > timeout_s:
                        raise RuntimeError(f"ticket {ticket_id}'s change did not land in {timeout_s:.0f} s")
                    time.sleep(0.2)
                latencies.append(time.perf_counter() - visible)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=30)
    median = statistics.median(latencies)
    note = (
        f"dagster-daemon, sensor interval {profile.sensor_interval} s, {profile.sensor_scale} scale, all streams "
        f"due every tick; samples {', '.join(f'{s:.1f}' for s in latencies)} s (a change can wait for the run in "
        "flight, then the next tick, run start in a new process, and the sync)"
    )
    return [Figure(8, "sensor tick + run start: change visible → row landed", f"{median:.1f} s", "report", None,
                   note, {"median": median, "samples": latencies})]  # fmt: skip


def _ordering_ts(path: Path, ticket_id: int) -> int | None:
    """The stored ticket's ordering timestamp, read-only; retried while a run's page holds the file."""
    while True:
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                query = "SELECT _ordering_ts FROM zendesk.zendesk.tickets WHERE id = ?"
                row = con.execute(query, [ticket_id]).fetchone()
                return None if row is None else int(row[0])
        except duckdb.Error:
            time.sleep(0.05)


def _wait_for_daemon_run(box: SyncSandbox, timeout_s: float) -> None:
    """Until the daemon has launched and finished one run of its own (the sensor is ticking, code is loaded)."""
    import dagster as dg

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with instance_in(box.dagster_home) as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]))
            if len(runs) >= 2:  # the initial sync, then one the sensor requested
                return
        time.sleep(1)
    raise RuntimeError(f"the daemon launched no successful run in {timeout_s:.0f} s")
