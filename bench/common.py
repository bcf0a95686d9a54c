"""What every figure of ``bench.run`` shares: the row it reports, the machine, and real processes to measure.

* :class:`Figure`: one row of the table (measured value, goal, pass/fail, a note on how it was measured).
* :func:`simulator_process`: ``zd-pipeline simulator`` in its own process (its own GIL, as in production).
* :class:`SyncSandbox`: a temporary ``DAGSTER_HOME`` (with the repo's ``dagster.yaml``) and DuckDB file, the env
  of a sync against a base URL, and :meth:`SyncSandbox.sync` running ``zd-pipeline sync`` as a subprocess,
  timing it and reading the peak RSS of the sync process (its ``VmHWM``; the simulator is never counted).
* :func:`raw_fetch`: the reference, a bare httpx + orjson loop paging each stream's export.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import orjson

from zd_pipeline.catalogue import STREAMS, Pagination, get_stream
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL, PROJECT_ROOT

ALL_STREAMS = tuple(STREAMS)
ZD_PIPELINE = str(Path(sys.executable).with_name("zd-pipeline"))


@dataclass
class Figure:
    """One row: ``passed`` is None for a reference figure without a goal."""

    number: int
    name: str
    value: str
    goal: str
    passed: bool | None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, str]:
    """Cores, RAM, CPU model, load, Python and the versions of the libraries that decide speed."""
    model = "unknown"
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        ram = f"{total_kb / 1024 / 1024:.1f} GiB"
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("dagster", "duckdb", "pyarrow", "httpx", "orjson", "msgspec", "uvicorn")
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "CPU": model,
        "OS": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "load average at start": load,
    }


def demo_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ZENDESK_/ZD_ variable, plus the simulator's demo credentials."""
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    env.update({"ZENDESK_EMAIL": DEMO_EMAIL, "ZENDESK_API_TOKEN": DEMO_API_TOKEN})
    return env


@contextmanager
def simulator_process(scale: str, rate_limit: int = 0, seed: int = 0) -> Iterator[str]:
    """``zd-pipeline simulator`` on a free port; yields its base URL once it answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}  # demo credentials
    command = [ZD_PIPELINE, "simulator", "--port", "0", "--scale", scale, "--seed", str(seed)]
    command += ["--rate-limit", str(rate_limit)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.search(r"(http://\S+)", first_line)
        if match is None:
            raise RuntimeError(f"the simulator did not start: {first_line!r}")
        base_url = match.group(1)
        wait_until_serving(base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_serving(base_url: str, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/_sim/info", timeout=30)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the simulator at {base_url} did not answer in {timeout_s:.0f} s")


def request_log(base_url: str) -> list[list]:
    """The simulator's request log: ``[time, method, path, query, status]`` per request."""
    return httpx.get(f"{base_url}/_sim/requests", timeout=120).json()


@dataclass
class SyncRun:
    """One ``zd-pipeline sync`` subprocess: wall seconds, peak RSS (MB) of its process tree, exit status, and the
    CPU seconds (user + system) of the process."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str
    cpu_seconds: float = 0.0


class SyncSandbox:
    """A temporary Dagster instance and DuckDB file; :meth:`sync` runs ``zd-pipeline sync`` against ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        requests_per_minute: int = 0,
        start_date: str | None = None,
        instance_yaml: Path = PROJECT_ROOT / "dagster.yaml",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zd-bench-"))
        self.dagster_home = self.folder / "dagster_home"
        self.dagster_home.mkdir()
        shutil.copyfile(instance_yaml, self.dagster_home / "dagster.yaml")
        self.duckdb_path = self.folder / "zendesk.duckdb"
        self.env = demo_env()
        self.env.update(
            {
                "ZENDESK_BASE_URL": base_url,
                "ZENDESK_REQUESTS_PER_MINUTE": str(requests_per_minute),
                "ZD_DUCKDB_PATH": str(self.duckdb_path),
                "DAGSTER_HOME": str(self.dagster_home),
            }
        )
        if start_date:
            self.env["ZENDESK_START_DATE"] = start_date
        self.env.update(extra_env or {})

    def __enter__(self) -> SyncSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def sync(self, streams: Iterable[str] = ALL_STREAMS, *, timeout_s: float = 7200) -> SyncRun:
        """Run ``zd-pipeline sync --streams ...`` to its end; raises if it fails.

        The peak RSS is the sync process's own high-water mark (``VmHWM`` in ``/proc/<pid>/status``, a running
        maximum the kernel keeps), read every 50 ms until it exits. Not ``wait4``'s ``ru_maxrss``: Linux folds
        the resident set the child had between fork and exec, i.e. this benchmark process's, into it, so after
        figure 3 (~550 MB of pre-generated pages here) every sync "peaked" at exactly that. The sync runs in
        process (Dagster's in-process executor) and starts no children.
        """
        return self._measured([ZD_PIPELINE, "sync", "--streams", ",".join(streams)], "sync", timeout_s)

    def rebuild_analytics(self, *, timeout_s: float = 7200) -> SyncRun:
        """Rebuild every analytics table in one Dagster run (what the automation does after a sync), measured
        as :meth:`sync` is; raises if the run fails."""
        code = (
            "import os, sys; from zd_pipeline.pipeline.runs import run_analytics; outcome = run_analytics(os.environ); "
            "print(outcome.failure or 'ok'); sys.exit(0 if outcome.success else 1)"
        )
        return self._measured([sys.executable, "-c", code], "analytics", timeout_s)

    def _measured(self, command: list[str], name: str, timeout_s: float) -> SyncRun:
        log = self.folder / f"{name}.log"
        began = time.perf_counter()
        with log.open("w") as out:
            process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
            deadline, peak_kb = time.monotonic() + timeout_s, 0
            while True:
                peak_kb = max(peak_kb, _high_water_kb(process.pid))
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"{name} ran over {timeout_s:.0f} s")
                time.sleep(0.05)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        output = log.read_text()
        if process.returncode != 0:
            raise RuntimeError(f"{name} failed ({process.returncode}):\n{output[-3000:]}")
        return SyncRun(seconds, peak_kb / 1024, process.returncode, output, usage.ru_utime + usage.ru_stime)

    def materializations(self, streams: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Each stream's latest materialization metadata on the sandbox's instance (plain values)."""
        import dagster as dg

        with instance_in(self.dagster_home) as instance:
            found = {}
            for name in streams:
                event = instance.get_latest_materialization_event(dg.AssetKey(["zendesk", name]))
                if event is not None and event.asset_materialization is not None:
                    found[name] = {k: v.value for k, v in event.asset_materialization.metadata.items()}
            return found

    def last_run_seconds(self) -> float:
        """Duration of the newest run on the instance (start to end, as Dagster recorded it)."""
        with instance_in(self.dagster_home) as instance:
            record = instance.get_run_records(limit=1)[0]
            return record.end_time - record.start_time


def _high_water_kb(pid: int) -> int:
    """``VmHWM`` of a running process in kB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def raw_fetch_stream(http: httpx.Client, name: str, start_time: int = 0, per_page: int = 1000) -> tuple[int, int]:
    """(records, requests) of one stream's export, paged with nothing but httpx and orjson."""
    stream = get_stream(name)
    kind = stream.pagination
    base_params: dict[str, Any] = {"include": ",".join(stream.sideloads)} if stream.sideloads else {}
    params: dict[str, Any] | None = {**base_params, "start_time": start_time}
    if kind is not Pagination.ROUTING:
        params["per_page"] = per_page
    url = stream.path_for(kind)
    records = requests = 0
    while True:
        response = http.get(url, params=params)
        response.raise_for_status()
        body = orjson.loads(response.content)
        requests += 1
        items = body[stream.response_key]
        records += len(items)
        if kind is Pagination.ROUTING:
            if not body.get("count") or not body.get("next_page"):
                return records, requests
            url, params = body["next_page"], None
        elif body.get("end_of_stream"):
            return records, requests
        elif kind is Pagination.CURSOR:
            url, params = body["after_url"], None
        else:
            next_start = int(body["end_time"])
            sent = int((params or {}).get("start_time", -1))
            params = {**base_params, "start_time": next_start + 1 if next_start == sent else next_start}
            params["per_page"] = per_page
            url = stream.path_for(kind)


def raw_fetch(base_url: str, streams: Iterable[str], start_time: int = 0) -> tuple[int, float]:
    """(records, seconds) of a bare loop over every stream in turn, on one keep-alive connection."""
    auth = (f"{DEMO_EMAIL}/token", DEMO_API_TOKEN)
    records = 0
    with httpx.Client(base_url=base_url, auth=auth, timeout=120) as http:
        began = time.perf_counter()
        for name in streams:
            records += raw_fetch_stream(http, name, start_time)[0]
        return records, time.perf_counter() - began
