"""SIGKILL trials: a real ``zd-pipeline sync`` process killed at seeded random moments, restarted, then run to the
end; afterwards the tables must equal the simulator's truth, nothing duplicated, and the file must open.

Shared by the tests (a few trials) and ``bench/kill_trials.py`` (many). The simulator is served from the calling
process (so its ground truth is at hand); each sync is a separate process with its own environment, exactly what
a user runs. A kill moment is drawn after the sync has created its working DuckDB file (before that there is nothing to
damage), uniformly over ``window`` seconds; a sync that finishes first counts as "finished before the kill".
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

import zd_pipeline
from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.liveness import IN_PROGRESS
from zd_pipeline.simulator import Simulator
from zd_pipeline.warehouse import Warehouse, WarehouseFiles
from zd_pipeline_tests.pipeline.truth import table_state, truth_state

KILL_STREAMS = ("tickets", "ticket_events", "users")
# Two weeks of the simulator's history (the small scale's same-second bulk update of 1,100 tickets included):
# about 1,650 tickets, 2,800 events and 30 users, over 15 daily partitions.
KILL_START_DATE = datetime.now(UTC).date() - timedelta(days=14)
FOREVER = 2**40
PACKAGE_ROOT = str(Path(zd_pipeline.__file__).resolve().parents[1])


def sync_env(base_url: str, db: Path, home: Path, start_date: str, **extra: str) -> dict[str, str]:
    """The environment of a ``zd-pipeline sync`` process against ``base_url`` writing ``db``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    env.update(
        {
            cfg.ENV_BASE_URL: base_url,
            cfg.ENV_EMAIL: cfg.DEMO_EMAIL,
            cfg.ENV_API_TOKEN: cfg.DEMO_API_TOKEN,
            cfg.ENV_REQUESTS_PER_MINUTE: "0",
            cfg.ENV_DUCKDB_PATH: str(db),
            cfg.ENV_START_DATE: start_date,
            cfg.ENV_DAGSTER_HOME: str(home),
            "PYTHONPATH": PACKAGE_ROOT,  # this checkout's package, whatever the venv's editable install points at
            **extra,
        }
    )
    return env


def start_sync(env: dict[str, str], streams: tuple[str, ...] = KILL_STREAMS) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "zd_pipeline.cli", "sync", "--streams", ",".join(streams)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@dataclass
class TrialResult:
    """One trial: what each kill hit, the final run's exit status, and what differs from the truth (nothing)."""

    seed: int
    kills: list[tuple[float, int | None]] = field(default_factory=list)  # (moment, rows kept); None: finished first
    final_exit: int | None = None
    final_stderr: str = ""
    opened_after_every_kill: bool = True
    differences: dict[str, str] = field(default_factory=dict)
    runs_in_progress: int = 0  # Dagster runs of the account still "in progress" afterwards (killed ones must not be)
    rows: int = 0
    seconds: float = 0.0

    @property
    def exact(self) -> bool:
        return (
            self.final_exit == 0
            and self.opened_after_every_kill
            and not self.differences
            and self.runs_in_progress == 0
        )


def kill_trial(
    simulator: Simulator, base_url: str, workdir: Path, seed: int, kills: int = 1, window: float = 3.0
) -> TrialResult:
    """Start a sync, SIGKILL it at a seeded moment (``kills`` times, each on a fresh restart), then let a last
    sync finish and compare every synced table with the truth from the start date on."""
    began = time.monotonic()
    rng = random.Random(seed)
    db = workdir / "zendesk.duckdb"
    env = sync_env(base_url, db, workdir / "dagster_home", KILL_START_DATE.isoformat())
    result = TrialResult(seed)
    for _ in range(kills):
        process = start_sync(env)
        created = _wait_for(WarehouseFiles.at(db).working, process)
        delay = rng.uniform(0, window)
        if created:
            time.sleep(delay)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        opened, rows = _opens(db)
        result.opened_after_every_kill &= opened
        result.kills.append((delay, rows if killed else None))
    final = start_sync(env)
    _, stderr = final.communicate(timeout=300)
    result.final_exit, result.final_stderr = final.returncode, stderr[-2000:]
    result.differences, result.rows = compare_with_truth(Warehouse(db), simulator, _epoch(KILL_START_DATE))
    with instance_in(workdir / "dagster_home") as instance:
        result.runs_in_progress = len(instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)))
    result.seconds = time.monotonic() - began
    return result


def compare_with_truth(warehouse: Warehouse, simulator: Simulator, start: int) -> tuple[dict[str, str], int]:
    """``({stream: what differs}, rows)`` for the kill streams from ``start`` on; duplicates are differences."""
    differences: dict[str, str] = {}
    rows = 0
    for name in KILL_STREAMS:
        try:
            got = table_state(warehouse, name, start, FOREVER)  # asserts that no id appears twice
        except AssertionError as error:
            differences[name] = str(error)
            continue
        expected = truth_state(simulator, name, start, FOREVER)
        rows += len(got)
        missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
        stale = sum(1 for k in expected.keys() & got.keys() if got[k] != expected[k])
        if missing or extra or stale:
            differences[name] = f"{len(missing)} missing, {len(extra)} extra, {stale} stale"
    return differences, rows


def describe_kill(kill: tuple[float, int | None], final_rows: int) -> str:
    """Where a kill landed: before any row, among the pages, after the last page (during Dagster's bookkeeping
    and the asset checks), or not at all (the sync had finished)."""
    _moment, rows = kill
    if rows is None:
        return "sync finished before the kill"
    if rows == 0:
        return "killed before any page was committed"
    if rows < final_rows:
        return "killed among the pages"
    return "killed after the last page"


def summarize(results: list[TrialResult]) -> Counter[str]:
    """How the kills landed and how the trials ended, for the bench's printout."""
    counts: Counter[str] = Counter()
    for result in results:
        for kill in result.kills:
            counts[describe_kill(kill, result.rows)] += 1
        counts["trials exact (truth, no duplicate, file opens)" if result.exact else "trials NOT exact"] += 1
    return counts


_TABLES = {STREAMS[name].table for name in KILL_STREAMS}


def _epoch(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def _wait_for(db: Path, process: subprocess.Popen[str], limit: float = 120.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            return True
        time.sleep(0.02)
    return False


def _opens(db: Path) -> tuple[bool, int]:
    """The published file opens (read-only, as a user's SQL session would) and every table it holds answers a query
    (a kill before the first publish leaves no file, not a broken one); and the rows the kill left committed in the
    working file (the process is dead: nobody holds it)."""
    opened = True
    if db.exists():
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                tables = con.execute("SELECT table_catalog, table_schema, table_name FROM information_schema.tables")
                for catalog, schema, table in tables.fetchall():
                    con.execute(f'SELECT count(*) FROM "{catalog}"."{schema}"."{table}"').fetchone()
        except duckdb.Error as error:
            print(f"{db} does not open after a kill: {error}", file=sys.stderr)
            opened = False
    working = WarehouseFiles.at(db).working
    if not working.exists():
        return opened, 0
    with duckdb.connect(str(working), read_only=True) as con:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        rows = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _TABLES & tables)
    return opened, rows
