"""Two accounts on the team deployment's instance (``deploy/dagster.yaml``: PostgreSQL storage): one
``zd-pipeline sync`` syncs both at once, each exactly, their runs and events land in PostgreSQL, and each account's
sensor on that instance resumes its own account only."""

import shutil
from pathlib import Path

import dagster as dg
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from zd_pipeline import cli
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import raw_asset_key
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.settings import PROJECT_ROOT
from zd_pipeline_tests.accounts.conftest import SEEDS, assert_exact
from zd_pipeline_tests.postgres.conftest import postgres_env, postgres_server  # noqa: F401 - fixtures


def test_two_accounts_sync_at_once_on_postgres(
    accounts_env,
    postgres_env,  # noqa: F811 - the imported fixture
    simulators,
    tmp_path,
    accounts_start,
):
    home = Path(accounts_env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    assert cli.main(["sync"]) == 0
    for account in SEEDS:
        assert_exact(tmp_path, simulators, account, accounts_start)
    defs = build_definitions(accounts_env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        records = {
            account: instance.get_run_records(filters=dg.RunsFilter(tags={ACCOUNT_TAG: account})) for account in SEEDS
        }
        # each account's sync run, then its reference refresh, both successful
        expected = {account: {f"{account}_sync", f"{account}_reference_refresh"} for account in SEEDS}
        assert {account: {r.dagster_run.job_name for r in found} for account, found in records.items()} == expected
        assert all(len(found) == 2 and all(r.dagster_run.is_success for r in found) for found in records.values())
        records = {
            account: [r for r in found if r.dagster_run.job_name.endswith("_sync")]
            for account, found in records.items()
        }
        acme, globex = records["acme"][0], records["globex"][0]
        assert acme.start_time < globex.end_time and globex.start_time < acme.end_time, "the runs did not overlap"
        for account in SEEDS:
            assert instance.get_latest_materialization_event(raw_asset_key(account, STREAMS["tickets"])) is not None
            sensor = defs.resolve_sensor_def(f"{account}_sync_sensor")
            (request,) = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=None)).run_requests
            assert request.tags[ACCOUNT_TAG] == account
            assert {key.path[0] for key in request.asset_selection} == {account}
            resumed = request.run_config["ops"][f"{account}__sync"]["config"]["resume_start_times"]
            assert {"tickets", "users", "organizations"} <= set(resumed)
    assert not list(home.rglob("*.db"))
