"""run_sync's guard: a sync of the account in progress is named, a run whose process died is marked failed."""

import os
import socket
import subprocess
import sys

import dagster as dg

from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.pipeline.liveness import HOST_TAG, PID_TAG
from zd_pipeline.pipeline.runs import claim_account


def _run(instance, defs, pid: int | None, host: str = socket.gethostname()) -> dg.DagsterRun:
    tags = {ACCOUNT_TAG: "zendesk", **({PID_TAG: str(pid), HOST_TAG: host} if pid is not None else {})}
    job = defs.resolve_job_def("zendesk_sync")
    return instance.create_run_for_job(job_def=job, tags=tags, status=dg.DagsterRunStatus.STARTED)


def test_a_run_whose_process_died_is_marked_failed_and_no_longer_blocks(pipeline_env, instance):
    defs = build_definitions(pipeline_env)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = _run(instance, defs, int(dead.stdout))
    assert claim_account(instance, "zendesk") is None
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    messages = [event.message for event in instance.all_logs(run.run_id)]
    assert any("died without finishing it" in (message or "") for message in messages)


def test_a_live_or_dagster_launched_run_is_named(pipeline_env, instance):
    defs = build_definitions(pipeline_env)
    live = _run(instance, defs, os.getpid())
    message = claim_account(instance, "zendesk")
    assert message and f"run {live.run_id[:8]}" in message and f"process {os.getpid()}" in message
    instance.report_run_canceled(live)
    launched = _run(instance, defs, None)
    message = claim_account(instance, "zendesk")
    assert message and "launched by Dagster" in message and launched.run_id[:8] in message
    assert claim_account(instance, "another_account") is None
