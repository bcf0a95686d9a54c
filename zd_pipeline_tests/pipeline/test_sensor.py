"""The sync sensor, evaluated against a real instance after real materializations."""

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import raw_asset_key, sync_op_name
from zd_pipeline.pipeline.liveness import HOST_TAG, PID_TAG
from zd_pipeline.pipeline.metadata import latest_paged_to
from zd_pipeline.pipeline.sensors import ACCOUNT_TAG, RESYNC_MARGIN_SECONDS

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _full_sync(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    job = defs.resolve_job_def("zendesk_sync")
    keys = job.partitions_def.get_partition_keys()
    tags = {RANGE_START: keys[0], RANGE_END: keys[-1]}
    assert job.execute_in_process(instance=instance, tags=tags, run_config=QUIET).success


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    sensor = defs.resolve_sensor_def("zendesk_sync_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_after_a_sync_the_sensor_requests_exactly_the_next_run_then_nothing(pipeline_env, instance, warehouse):
    defs = build_definitions(pipeline_env)
    _full_sync(defs, instance)
    marks = {name: warehouse.high_water_mark(name) for name in STREAMS}
    assert all(mark is not None for mark in marks.values())

    first = _tick(defs, instance, cursor=None)
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert set(request.asset_selection) == {raw_asset_key("zendesk", s) for s in STREAMS.values()}
    config = request.run_config["ops"][sync_op_name("zendesk")]["config"]
    # Each stream resumes at its high-water mark, or a day before where the sync paged up to if that is later.
    paged_to = {name: latest_paged_to(instance, raw_asset_key("zendesk", STREAMS[name])) for name in STREAMS}
    assert all(paged_to[name] > marks[name] for name in STREAMS)
    starts = {name: max(marks[name], paged_to[name] - RESYNC_MARGIN_SECONDS) for name in STREAMS}
    assert config["resume_start_times"] == starts
    assert any(starts[name] > marks[name] for name in STREAMS)  # the quiet streams no longer drag the range back
    oldest_day = datetime.fromtimestamp(min(starts.values()), UTC).strftime("%Y-%m-%d")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (oldest_day, today)
    assert request.tags[ACCOUNT_TAG] == "zendesk"
    assert json.loads(first.cursor)["hwm"] == marks

    second = _tick(defs, instance, cursor=first.cursor)
    assert not second.run_requests
    assert second.skip_message == "every stream is current"


def test_a_stream_is_polled_again_once_its_interval_has_passed(pipeline_env, instance, warehouse):
    defs = build_definitions(pipeline_env)
    _full_sync(defs, instance)
    cursor = json.loads(_tick(defs, instance, cursor=None).cursor)
    cursor["requested_at"]["tickets"] -= 301  # the default interval is 300 s
    later = _tick(defs, instance, cursor=json.dumps(cursor))
    assert len(later.run_requests) == 1
    assert later.run_requests[0].asset_selection == [raw_asset_key("zendesk", STREAMS["tickets"])]


def test_never_synced_streams_start_at_the_first_partition(pipeline_env, instance):
    defs = build_definitions(pipeline_env)
    request = _tick(defs, instance, cursor=None).run_requests[0]
    first = defs.resolve_job_def("zendesk_sync").partitions_def.get_first_partition_key()
    assert request.tags[RANGE_START] == first
    assert request.run_config["ops"][sync_op_name("zendesk")]["config"]["resume_start_times"] == {}


def test_no_request_while_a_run_of_the_account_is_in_progress(pipeline_env, instance):
    defs = build_definitions(pipeline_env)
    job = defs.resolve_job_def("zendesk_sync")
    # QUEUED runs need a code-server origin to be stored; the sensor treats QUEUED, NOT_STARTED, STARTING and
    # STARTED alike (one status filter), so a started run stands for all of them.
    running = instance.create_run_for_job(
        job_def=job, tags={ACCOUNT_TAG: "zendesk"}, status=dg.DagsterRunStatus.STARTED
    )
    result = _tick(defs, instance, cursor=None)
    assert not result.run_requests
    assert "queued or in progress" in result.skip_message

    instance.report_run_canceled(running)
    assert len(_tick(defs, instance, cursor=None).run_requests) == 1


def test_a_run_whose_sync_process_died_does_not_block_the_sensor(pipeline_env, instance):
    defs = build_definitions(pipeline_env)
    job = defs.resolve_job_def("zendesk_sync")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    tags = {ACCOUNT_TAG: "zendesk", PID_TAG: dead.stdout.strip(), HOST_TAG: socket.gethostname()}
    ghost = instance.create_run_for_job(job_def=job, tags=tags, status=dg.DagsterRunStatus.STARTED)
    assert len(_tick(defs, instance, cursor=None).run_requests) == 1
    assert instance.get_run_by_id(ghost.run_id).status is dg.DagsterRunStatus.FAILURE
