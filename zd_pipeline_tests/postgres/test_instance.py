"""deploy/dagster.yaml on a real PostgreSQL server: a sync, the sensor and the schedule, with Dagster's own storages,
run coordinator and run launcher; runs and events land in PostgreSQL and nowhere else."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import psycopg2
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import raw_asset_key
from zd_pipeline.pipeline.held_connections import hold_connections
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG, sync_job_name
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline_tests.postgres.server import PostgresServer

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _count(server: PostgresServer, env: dict[str, str], sql: str) -> int:
    connection = psycopg2.connect(
        host=server.host,
        port=server.port,
        dbname=env["DAGSTER_PG_DB"],
        user=env["DAGSTER_PG_USERNAME"],
        password=env["DAGSTER_PG_PASSWORD"],
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_the_deploy_instance_is_postgres_with_the_queue_and_the_default_launcher(postgres_instance) -> None:
    assert isinstance(postgres_instance.run_storage, PostgresRunStorage)
    assert isinstance(postgres_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(postgres_instance.schedule_storage, PostgresScheduleStorage)
    assert isinstance(postgres_instance.run_coordinator, dg.QueuedRunCoordinator)
    assert isinstance(postgres_instance.run_launcher, dg.DefaultRunLauncher)
    limits = postgres_instance.get_concurrency_config().run_queue_config
    assert limits.max_concurrent_runs == 4
    assert limits.tag_concurrency_limits[0]["key"] == ACCOUNT_TAG


def test_a_sync_then_the_sensor_run_on_postgres(
    pipeline_env, postgres_env, postgres_home: Path, postgres_instance, postgres_server, warehouse
) -> None:
    outcome = run_sync(pipeline_env, list(STREAMS), instance=postgres_instance)
    assert outcome.success, outcome.failure
    assert sum(stream["records_fetched"] for stream in outcome.streams.values()) > 0
    # Every stream's every day is materialized, in PostgreSQL's tables (no SQLite file under DAGSTER_HOME).
    days = build_definitions(pipeline_env).resolve_job_def(sync_job_name("zendesk")).partitions_def
    keys = set(days.get_partition_keys())
    for stream in STREAMS.values():
        assert postgres_instance.get_materialized_partitions(raw_asset_key("zendesk", stream)) == keys
    materialized = "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
    stored = _count(postgres_server, postgres_env, materialized)
    assert stored == len(STREAMS) * len(keys)
    assert _count(postgres_server, postgres_env, "SELECT count(*) FROM runs") == 1
    assert not list(postgres_home.rglob("*.db"))

    defs = build_definitions(pipeline_env)
    sensor = defs.resolve_sensor_def("zendesk_sync_sensor")
    first = sensor.evaluate_tick(dg.build_sensor_context(instance=postgres_instance, cursor=None))
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert set(request.asset_selection) == {raw_asset_key("zendesk", s) for s in STREAMS.values()}
    marks = {name: warehouse.high_water_mark(name) for name in STREAMS}
    config = request.run_config["ops"]["zendesk__sync"]["config"]
    starts = config["resume_start_times"]
    assert starts and all(marks[name] is not None and start >= marks[name] for name, start in starts.items())
    assert request.tags["dagster/asset_partition_range_end"] == datetime.now(UTC).strftime("%Y-%m-%d")
    second = sensor.evaluate_tick(dg.build_sensor_context(instance=postgres_instance, cursor=first.cursor))
    assert not second.run_requests


def test_the_schedule_requests_yesterday_and_its_run_lands_on_postgres(pipeline_env, postgres_instance) -> None:
    defs = build_definitions(pipeline_env)
    schedule = defs.resolve_schedule_def("zendesk_daily_resync")
    now = datetime.now(UTC).replace(hour=0, minute=15, second=0, microsecond=0)
    context = dg.build_schedule_context(
        instance=postgres_instance, scheduled_execution_time=now, repository_def=defs.get_repository_def()
    )
    requests = schedule.evaluate_tick(context).run_requests
    yesterday = (now - timedelta(days=1)).strftime("%Y-%m-%d")
    assert [r.partition_key for r in requests] == [yesterday]
    job = defs.resolve_job_def(sync_job_name("zendesk"))
    result = job.execute_in_process(
        instance=postgres_instance, partition_key=yesterday, tags=dict(requests[0].tags), run_config=QUIET
    )
    assert result.success
    run = postgres_instance.get_run_by_id(result.run_id)
    assert run.tags[ACCOUNT_TAG] == "zendesk" and run.tags["dagster/partition"] == yesterday
    for stream in STREAMS.values():
        assert postgres_instance.get_materialized_partitions(raw_asset_key("zendesk", stream)) == {yesterday}


def _sessions(server: PostgresServer, env: dict[str, str]) -> int:
    """Connections ever opened to the test's database (the count's own included)."""
    database = env["DAGSTER_PG_DB"]
    return _count(server, env, f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'")


def test_a_command_holds_its_storage_connections_instead_of_connecting_per_call(
    postgres_server, postgres_env, postgres_home
) -> None:
    calls = 20
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:  # as Dagster configures it
        instance.get_runs(limit=1)
        before = _sessions(postgres_server, postgres_env)
        for _ in range(calls):
            instance.get_runs(limit=1)
        assert _sessions(postgres_server, postgres_env) - before >= calls + 1  # a new connection per call
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:  # as zd-pipeline sync opens it
        assert hold_connections(instance)
        instance.get_runs(limit=1)
        before = _sessions(postgres_server, postgres_env)
        for _ in range(calls):
            instance.get_runs(limit=1)
        assert _sessions(postgres_server, postgres_env) - before <= 2  # the count's own, and at most one more
