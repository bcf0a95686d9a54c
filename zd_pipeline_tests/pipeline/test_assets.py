"""Materializing stream assets through Dagster lands exactly the simulator's ground truth for the window."""

from datetime import UTC, datetime

import pytest

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import raw_asset_key, sync_op_name
from zd_pipeline.pipeline.resources import ZendeskResource
from zd_pipeline.simulator import Simulator
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _job(env):
    return build_definitions(env).resolve_job_def("zendesk_sync")


def _busiest_day(simulator: Simulator) -> tuple[str, int, int]:
    """The partition holding the most ticket changes (so the window test has real work)."""
    stamps = [STREAMS["tickets"].ordering_epoch(r) for r in simulator.truth("tickets")]
    days = {}
    for ts in stamps:
        day = ts - ts % 86400
        days[day] = days.get(day, 0) + 1
    start = max(days, key=days.get)
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d"), start, start + 86400


def test_each_stream_partition_equals_the_ground_truth_of_its_window(
    pipeline_env, simulator: Simulator, instance, warehouse: Warehouse
) -> None:
    day, start, end = _busiest_day(simulator)
    result = _job(pipeline_env).execute_in_process(instance=instance, partition_key=day, run_config=QUIET)
    assert result.success
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name, start, end)
    assert warehouse.row_count("tickets") > 0
    materialized = {e.asset_key.path[-1]: e for e in result.get_asset_materialization_events()}
    assert set(materialized) == set(STREAMS)
    meta = materialized["tickets"].step_materialization_data.materialization.metadata
    assert meta["records_fetched"].value >= meta["records_upserted"].value > 0
    assert meta["row_count"].value == warehouse.row_count("tickets")
    assert start <= meta["high_water_mark_epoch"].value < end
    assert meta["requests"].value >= meta["pages"].value >= 1
    assert meta["responses_429"].value == 0
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks[(name, "unique_non_null_ids")] for name in STREAMS), checks


def test_rematerializing_a_partition_changes_nothing(pipeline_env, simulator, instance, warehouse) -> None:
    day, start, end = _busiest_day(simulator)
    job = _job(pipeline_env)
    selection = [raw_asset_key("zendesk", STREAMS["tickets"]), raw_asset_key("zendesk", STREAMS["ticket_events"])]
    first = job.execute_in_process(instance=instance, partition_key=day, asset_selection=selection, run_config=QUIET)
    rows = (warehouse.row_count("tickets"), warehouse.row_count("ticket_events"))
    second = job.execute_in_process(instance=instance, partition_key=day, asset_selection=selection, run_config=QUIET)
    assert first.success and second.success
    assert (warehouse.row_count("tickets"), warehouse.row_count("ticket_events")) == rows
    for event in second.get_asset_materialization_events():
        meta = event.step_materialization_data.materialization.metadata
        assert meta["records_upserted"].value == 0, event.asset_key
    assert_matches_truth(warehouse, simulator, "tickets", start, end)


def test_a_cut_off_run_resumes_from_its_stored_checkpoint(pipeline_env, simulator, instance, warehouse) -> None:
    day, start, end = _busiest_day(simulator)
    tickets = STREAMS["tickets"]
    truth = simulator.truth("tickets", start, end)
    midpoint = tickets.ordering_epoch(truth[len(truth) // 2])
    warehouse.ensure_tables()
    # A previous run committed the first half of the window, then died: only its checkpoint is left.
    warehouse.apply_page(tickets, [], Checkpoint("tickets", start, end, ResumePoint(start_time=midpoint), midpoint))
    before = len(simulator.request_log)
    result = _job(pipeline_env).execute_in_process(
        instance=instance, partition_key=day, asset_selection=[raw_asset_key("zendesk", tickets)], run_config=QUIET
    )
    assert result.success
    first_request = simulator.request_log[before]
    assert f"start_time={midpoint}" in first_request[3]
    assert_matches_truth(warehouse, simulator, "tickets", midpoint, end)
    assert warehouse.load_checkpoint("tickets", start, end).complete


def test_a_backfill_of_many_days_is_one_run_that_pages_once(pipeline_env, simulator, instance, warehouse) -> None:
    job = _job(pipeline_env)
    keys = job.partitions_def.get_partition_keys()
    before = len(simulator.request_log)
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[raw_asset_key("zendesk", STREAMS["users"])],
        run_config=QUIET,
        tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
    )
    assert result.success
    user_requests = [r for r in simulator.request_log[before:] if "/users" in r[2]]
    # One run; Dagster records the range's materialization once per partition it covered.
    assert {e.partition for e in result.get_asset_materialization_events()} == set(keys)
    # One pass over the whole range: about one request per 1000 users, not one (or more) per day.
    assert len(user_requests) <= len(simulator.truth("users")) // 1000 + 2 < len(keys)
    assert_matches_truth(warehouse, simulator, "users")


def test_full_refresh_config_ignores_stored_checkpoints(pipeline_env, simulator, instance, warehouse) -> None:
    day, start, end = _busiest_day(simulator)
    organizations = STREAMS["organizations"]
    warehouse.ensure_tables()
    warehouse.apply_page(organizations, [], Checkpoint("organizations", start, end, ResumePoint(start_time=end - 1)))
    before = len(simulator.request_log)
    config = {**QUIET, "ops": {sync_op_name("zendesk"): {"config": {"full_refresh": True}}}}
    result = _job(pipeline_env).execute_in_process(
        instance=instance,
        partition_key=day,
        asset_selection=[raw_asset_key("zendesk", organizations)],
        run_config=config,
    )
    assert result.success
    assert f"start_time={start}" in simulator.request_log[before][3]


@pytest.mark.parametrize("token", ["wrong-token"])
def test_bad_credentials_fail_the_run_with_a_message_naming_the_fix(pipeline_env, monkeypatch, instance, token) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", token)
    result = _job(pipeline_env).execute_in_process(
        instance=instance,
        partition_key=_job(pipeline_env).partitions_def.get_last_partition_key(),
        run_config=QUIET,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert "credentials" in message.lower() or "token" in message.lower()
    assert token not in message


def test_a_duckdb_path_under_a_file_fails_the_run_naming_the_setting(pipeline_env, instance, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    job = _job({**pipeline_env, "ZD_DUCKDB_PATH": str(tmp_path / "a_file" / "zendesk.duckdb")})
    result = job.execute_in_process(
        instance=instance,
        partition_key=job.partitions_def.get_last_partition_key(),
        asset_selection=[raw_asset_key("zendesk", STREAMS["organizations"])],
        run_config=QUIET,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert "ZD_DUCKDB_PATH" in message and "is a file, not a folder" in message


def test_a_launchpad_override_of_one_resource_field_keeps_the_account_and_credentials(
    pipeline_env, simulator, instance, warehouse
) -> None:
    """Dagster replaces a resource's whole config when a run overrides any field (the launchpad does), which left
    the EnvVar-bound account and secrets unset; the resource now takes them from the run's environment."""
    day, start, end = _busiest_day(simulator)
    tickets = STREAMS["tickets"]
    before = len(simulator.request_log)
    config = {**QUIET, "resources": {"zendesk": {"config": {"per_page": 100}}}}
    result = _job(pipeline_env).execute_in_process(
        instance=instance, partition_key=day, asset_selection=[raw_asset_key("zendesk", tickets)], run_config=config
    )
    assert result.success
    assert "per_page=100" in simulator.request_log[before][3]  # the override applied
    assert_matches_truth(warehouse, simulator, "tickets", start, end)
    stored = instance.get_run_by_id(result.run_id).run_config
    assert stored["resources"] == {"zendesk": {"config": {"per_page": 100}}}  # no secret entered the run config
    overridden = ZendeskResource(per_page=100).client_config()  # what the run built, field by field
    assert overridden.requests_per_minute == 0 and overridden.base_url == pipeline_env["ZENDESK_BASE_URL"]
