"""Which in-progress sync runs of an account are really alive.

``zd-pipeline sync`` executes its run in its own process (not through the daemon), tagged with that process's id
and host. A run whose process was killed (SIGKILL, power loss) stays "STARTED" in the instance forever; both the
CLI and the sensor refuse to start a sync while a run of the account is in progress, so such a ghost would block
the account until someone terminated it by hand. :func:`live_runs` marks ghosts of this host failed (with a
message saying their process died) and returns the runs that may still be working. Runs launched by Dagster
itself (no pid tag) and runs of other hosts are always taken as alive: their liveness is not ours to judge.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from zd_pipeline.pipeline.jobs import ACCOUNT_TAG

PID_TAG = "zd/pid"
HOST_TAG = "zd/host"
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def process_tags() -> dict[str, str]:
    """The tags that let a later sync or sensor tick recognise this process's run if the process dies."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def live_runs(instance: dg.DagsterInstance, account: str) -> list[dg.DagsterRun]:
    """The account's in-progress runs, after marking those whose process on this host no longer exists failed."""
    alive = []
    for run in instance.get_runs(filters=dg.RunsFilter(tags={ACCOUNT_TAG: account}, statuses=IN_PROGRESS)):
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid is None or host != socket.gethostname() or process_alive(int(pid)):
            alive.append(run)
            continue
        instance.report_run_failed(
            run,
            message=f"the process running this sync (pid {pid} on {host}) died without finishing it (killed or "
            "crashed); every page it committed is kept and the next sync resumes from its checkpoints",
        )
    return alive


def owner(run: dg.DagsterRun) -> str:
    """Who runs ``run``, for messages: a process of this host, of another host, or Dagster's launcher."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if pid is None:
        return "launched by Dagster"
    return f"process {pid}" if host == socket.gethostname() else f"process {pid} on {host}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
