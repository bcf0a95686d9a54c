"""The team deployment's processes on one machine: deploy/dagster.yaml on PostgreSQL, a gRPC code server and the
daemon reading deploy/workspace.yaml. The daemon's sensor tick requests a sync, the queued run coordinator takes it
off the queue, the default run launcher has the code server start a run worker, and the run succeeds."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.pipeline.assets import raw_asset_key
from zd_pipeline.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
TIMEOUT = 420  # seconds for the whole chain on a loaded 2-core machine (about 40 s on a quiet one)


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sensor_run(instance: dg.DagsterInstance, processes: list[subprocess.Popen], logs: list[Path]) -> dg.DagsterRun:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            assert process.poll() is None, f"{log.name} exited:\n{log.read_text()[-3000:]}"
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/sensor_name": "zendesk_sync_sensor"}))
        if runs and runs[0].is_finished:
            return runs[0]
        time.sleep(1)
    raise AssertionError("no sensor run finished:\n" + "\n".join(log.read_text()[-2000:] for log in logs))


def test_the_daemon_queues_and_launches_the_sensors_sync_through_the_code_server(
    tmp_path, pipeline_env, postgres_home, postgres_instance
) -> None:
    port = _free_port()
    env = {**os.environ, "ZD_CODE_SERVER_HOST": "127.0.0.1", "ZD_CODE_SERVER_PORT": str(port)}
    code_server = [str(BIN / "dagster"), "code-server", "start", "-m", "zd_pipeline.definitions"]
    code_server += ["-h", "127.0.0.1", "-p", str(port), "--location-name", "zd_pipeline"]
    daemon = [str(BIN / "dagster-daemon"), "run", "-w", str(PROJECT_ROOT / "deploy" / "workspace.yaml")]
    logs = [tmp_path / "code-server.log", tmp_path / "daemon.log"]
    with _process(code_server, env, logs[0]) as server, _process(daemon, env, logs[1]) as daemon_process:
        run = _sensor_run(postgres_instance, [server, daemon_process], logs)
    assert run.status == dg.DagsterRunStatus.SUCCESS, "\n".join(log.read_text()[-3000:] for log in logs)
    enqueued = postgres_instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED)
    assert enqueued, "the run did not pass through the queue"
    assert run.tags["zd/account"] == "zendesk"
    for stream in STREAMS.values():
        assert postgres_instance.get_latest_materialization_event(raw_asset_key("zendesk", stream)) is not None
