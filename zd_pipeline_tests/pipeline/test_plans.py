"""An account whose Zendesk plan does not offer skill-based routing (403 on the routing exports): ``zd-pipeline
sync`` and the sensor's runs succeed with every other stream exact, say which streams the plan does not offer, stop
asking for them, and pick them up whole once the plan is upgraded. Real simulator, DuckDB file and instance."""

import json
import time

import dagster as dg
import pytest

from zd_pipeline import cli
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.clock import ManualClock
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import raw_asset_key
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.offers import OFFERED_BY_PLAN, RECHECK_SECONDS, not_offered_since
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline.pipeline.sensors import build_sync_sensor
from zd_pipeline_tests.pipeline.test_sensor import QUIET, _full_sync
from zd_pipeline_tests.pipeline.truth import assert_history_matches_truth, assert_matches_truth

ROUTING = sorted(name for name, stream in STREAMS.items() if stream.plan_feature)
OTHERS = sorted(set(STREAMS) - set(ROUTING))


def _routing_requests(simulator) -> int:
    return sum(1 for entry in simulator.request_log if "/routing/" in entry[2])


def test_sync_of_an_account_without_routing_exits_0_names_the_streams_and_stops_asking(
    pipeline_env, simulator, warehouse, capsys, tmp_path
):
    simulator.set_plan("professional")
    assert cli.main(["sync"]) == 0
    out = capsys.readouterr().out
    for name in ROUTING:
        assert f"Not synced: {name}: Not offered by this account's Zendesk plan" in out
    for name in OTHERS:
        assert_matches_truth(warehouse, simulator, name)
    assert all(warehouse.row_count(name) == 0 for name in ROUTING)
    assert _routing_requests(simulator) == 3  # one 403 each, never retried
    with instance_in(tmp_path / "dagster_home") as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(job_name="zendesk_sync"))
        (reference,) = instance.get_runs(filters=dg.RunsFilter(job_name="zendesk_reference_refresh"))
        assert run.is_success and reference.is_success  # the reference tables are refreshed after the streams
        for name in ROUTING:
            key = raw_asset_key("zendesk", STREAMS[name])
            assert instance.get_latest_materialization_event(key) is None  # nothing faked
            (record,) = instance.fetch_observations(key, limit=5).records
            assert record.asset_observation.metadata[OFFERED_BY_PLAN].value is False
            checks = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(key, "unique_non_null_ids"), limit=5
            )
            assert all(check.status.value != "FAILED" for check in checks)

    assert cli.main(["sync"]) == 0  # the same day: routing is not asked for again
    out = capsys.readouterr().out
    assert _routing_requests(simulator) == 3
    for name in ROUTING:
        assert f"Not synced: {name}: not offered by this account's Zendesk plan (found " in out


def test_an_upgraded_plan_is_synced_whole_at_the_daily_recheck(pipeline_env, simulator, warehouse, instance):
    simulator.set_plan("team")
    outcome = run_sync(pipeline_env, list(STREAMS), instance=instance)
    assert outcome.success and sorted(outcome.not_offered) == ROUTING
    simulator.set_plan("enterprise")
    soon = run_sync(pipeline_env, list(STREAMS), instance=instance)
    assert soon.success and sorted(soon.not_offered) == ROUTING and not set(soon.streams) & set(ROUTING)
    later = ManualClock(time.time() + RECHECK_SECONDS + 1)
    upgraded = run_sync(pipeline_env, list(STREAMS), instance=instance, clock=later)
    assert upgraded.success and not upgraded.not_offered
    assert set(upgraded.streams) == set(STREAMS)
    assert all(not_offered_since(instance, raw_asset_key("zendesk", STREAMS[n])) is None for n in ROUTING)
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name)
    for name in ROUTING:
        assert_history_matches_truth(warehouse, simulator, name)


def _tick(defs, instance, clock, cursor=None):
    sensor = build_sync_sensor(
        defs.resolve_job_def("zendesk_sync"),
        "zendesk",
        defs.resolve_job_def("zendesk_sync").partitions_def,
        STREAMS.values(),
        300,
        clock=clock,
    )
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_the_sensor_leaves_out_streams_the_plan_lacks_until_the_daily_recheck(
    pipeline_env, simulator, warehouse, instance
):
    simulator.set_plan("professional")
    defs = build_definitions(pipeline_env)
    _full_sync(defs, instance)  # routing observed "not offered", the rest materialized
    now = ManualClock(time.time())
    first = _tick(defs, instance, now)
    (request,) = first.run_requests
    assert sorted(key.path[-1] for key in request.asset_selection) == OTHERS
    cursor = json.loads(first.cursor)
    for name in OTHERS:
        cursor["requested_at"][name] -= 301  # every offered stream due again: routing still left out
    again = _tick(defs, instance, now, json.dumps(cursor))
    assert sorted(key.path[-1] for key in again.run_requests[0].asset_selection) == OTHERS
    quiet = _tick(defs, instance, now, first.cursor)
    assert not quiet.run_requests and "not offered by this account's plan" in quiet.skip_message

    simulator.set_plan("enterprise")
    now.advance(RECHECK_SECONDS + 1)
    recheck = _tick(defs, instance, now, first.cursor)  # a day on: every stream is due, routing again too
    (request,) = recheck.run_requests
    assert sorted(key.path[-1] for key in request.asset_selection) == sorted(STREAMS)
    first_partition = defs.resolve_job_def("zendesk_sync").partitions_def.get_first_partition_key()
    assert request.tags["dagster/asset_partition_range_start"] == first_partition
    result = defs.resolve_job_def("zendesk_sync").execute_in_process(
        instance=instance,
        asset_selection=request.asset_selection,
        tags=request.tags,
        run_config={**QUIET, **request.run_config},
    )
    assert result.success
    for name in ROUTING:
        assert_matches_truth(warehouse, simulator, name)


@pytest.fixture(autouse=True)
def _quiet_progress(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one summary line per stream, whatever the terminal
