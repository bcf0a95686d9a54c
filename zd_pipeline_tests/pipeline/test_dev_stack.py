"""``zd-pipeline dev`` as a user runs it (what ``make dev`` execs): the real command in a subprocess starts the
demo's simulator and ``dagster dev`` (webserver, daemon, code servers); a backfill launched through the webserver's
GraphQL API succeeds against the simulator, the sensor ticks without failing, and one SIGTERM to the command stops
every process it started."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import dagster as dg
import httpx

from zd_pipeline import settings as cfg
from zd_pipeline.pipeline.commands.demo_simulator import DEMO_SCALE, DEMO_SEED
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.liveness import IN_PROGRESS
from zd_pipeline_tests.pipeline.webserver_harness import free_port, graphql, wait_ready

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status runs { runId status } } }
}
"""
SENSOR_TICKS = """
{
  repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } }
}
"""
TICKS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { status ticks(limit: 50) { status runIds error { message } } } }
  }
}
"""
DEADLINE_SECONDS = 150.0
T = TypeVar("T")


def test_dev_syncs_the_demo_data_from_the_ui_and_stops_every_process(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in (2, 1)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    env |= {
        cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"),
        cfg.ENV_DUCKDB_PATH: str(tmp_path / "zendesk.duckdb"),
        cfg.ENV_START_DATE: days[0],  # three daily partitions: the sensor's first run stays short
        cfg.ENV_SENSOR_INTERVAL: "20",
    }
    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "zd_pipeline.cli", "dev", "--port", str(port)],
            env=env,
            cwd=tmp_path,  # no .env of the project's root is read
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        simulator_url = re.search(r"serves it at (http://\S+?);", log.read_text()).group(1)
        info = httpx.get(f"{simulator_url}/_sim/info", timeout=10).json()
        assert (info["scale"], info["seed"]) == (DEMO_SCALE, DEMO_SEED)  # the data set `make demo` syncs

        launched = graphql(
            url,
            LAUNCH_BACKFILL,
            params={"partitionNames": days, "assetSelection": [{"path": ["zendesk", "tickets"]}]},
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill = _wait_for(lambda: _backfill_runs_done(url, launched["backfillId"]), "the backfill's run")
        assert backfill["status"] not in {"FAILED", "COMPLETED_FAILED", "CANCELED"}, backfill
        assert {run["status"] for run in backfill["runs"]} == {"SUCCESS"}, backfill

        ticks = _wait_for(lambda: _sensor_ticks_once_one_requested_a_run(url), "a sensor tick that requests a run")
        assert not [tick for tick in ticks if tick["status"] == "FAILURE"], ticks
        tree = _session(process.pid) | _descendants(process.pid)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert code == 0, log.read_text()[-3000:]
    assert len(tree) >= 4, tree  # dagster dev, its webserver, daemon and code server(s) were running
    left = {pid: _command(pid) for pid in (tree | _session(process.pid)) if _alive(pid)}
    assert not left, left
    with instance_in(tmp_path / "dagster_home") as instance:  # no run is left "started" to block the sensor
        running = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
        assert not instance.get_runs(filters=dg.RunsFilter(statuses=running))


def _backfill_runs_done(url: str, backfill_id: str) -> dict | None:
    """The backfill once its run (one: the assets' backfill policy is a single run) has ended; the daemon marks
    the backfill itself complete only at its next iteration, up to 30 s later, which the test need not wait for."""
    backfill = graphql(url, BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    runs = backfill["runs"]
    return backfill if runs and all(run["status"] not in _IN_PROGRESS for run in runs) else None


def _sensor_ticks_once_one_requested_a_run(url: str) -> list[dict] | None:
    node = graphql(url, SENSOR_TICKS)["repositoriesOrError"]["nodes"][0]
    selector = {
        "repositoryLocationName": node["location"]["name"],
        "repositoryName": node["name"],
        "sensorName": "zendesk_sync_sensor",
    }
    ticks = graphql(url, TICKS, selector=selector)["sensorOrError"]["sensorState"]["ticks"]
    return ticks if any(tick["status"] == "SUCCESS" and tick["runIds"] for tick in ticks) else None


_IN_PROGRESS = {status.value for status in IN_PROGRESS} | {"CANCELING"}


def _wait_for(probe: Callable[[], T | None], what: str) -> T:
    """Poll another process's progress until ``probe`` finds it."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/PID/stat`` after the command name (state, ppid, pgrp, session, ...), or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _all_stats() -> dict[int, list[str]]:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def _session(sid: int) -> set[int]:
    return {pid for pid, stat in _all_stats().items() if int(stat[3]) == sid}


def _descendants(root: int) -> set[int]:
    stats = _all_stats()
    found, todo = set(), [root]
    while todo:
        parent = todo.pop()
        for pid, stat in stats.items():
            if int(stat[1]) == parent and pid not in found:
                found.add(pid)
                todo.append(pid)
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"
