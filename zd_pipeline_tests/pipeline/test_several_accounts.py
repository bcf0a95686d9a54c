"""Two Zendesk accounts in one accounts file, end to end: two simulators (different seeds and credentials, one API
token, one OAuth) on loopback, two DuckDB files, one Dagster instance.

From the CLI (``zd-pipeline sync`` with no ``--account``: a process per account) both replicas are exact and the two
runs overlap in time; a wrong token fails that account alone. Through the sensors each account's own request syncs
it exactly, and a run in flight for one account holds back only that account's sensor.
"""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline import cli
from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.clock import ManualClock
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.simulator import Credentials, Simulator, serve
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

HISTORY_DAYS = 7  # the last week of the simulators' history: every partition is bookkept, so keep it short
FOREVER = 2**40
SEEDS = {"acme": 11, "globex": 23}
CREDENTIALS = {
    "acme": Credentials(email="agent@acme.test", api_token="acme-api-token-5e1f0c"),
    "globex": Credentials(oauth_token="globex-oauth-token-8d2b7a"),
}
VARIABLES = {  # what the accounts file names, and the values the test environment gives them
    "ACME_EMAIL": "agent@acme.test",
    "ACME_API_TOKEN": "acme-api-token-5e1f0c",
    "GLOBEX_OAUTH_TOKEN": "globex-oauth-token-8d2b7a",
}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@pytest.fixture
def start_date() -> date:
    return datetime.now(UTC).date() - timedelta(days=HISTORY_DAYS)


@pytest.fixture
def simulators(sim_clock: ManualClock) -> dict[str, Simulator]:
    return {
        name: Simulator(scale="small", seed=seed, clock=sim_clock, rate_limit=None, credentials=CREDENTIALS[name])
        for name, seed in SEEDS.items()
    }


@pytest.fixture
def accounts_env(
    monkeypatch: pytest.MonkeyPatch, simulators: dict[str, Simulator], tmp_path: Path, start_date: date
) -> Iterator[dict[str, str]]:
    """Both simulators served, the accounts file naming them, and the environment set for real (children and
    runs resolve the variables from it); no ``ZENDESK_*`` variable is set."""
    with ExitStack() as served:
        urls = {name: served.enter_context(serve(sim)) for name, sim in simulators.items()}
        path = tmp_path / "accounts.yaml"
        path.write_text(
            f"""accounts:
  - name: acme
    base_url: {urls["acme"]}
    email_env: ACME_EMAIL
    api_token_env: ACME_API_TOKEN
    requests_per_minute: 0
    start_date: {start_date.isoformat()}
    duckdb_path: zendesk-acme.duckdb
  - name: globex
    base_url: {urls["globex"]}
    oauth_token_env: GLOBEX_OAUTH_TOKEN
    requests_per_minute: 0
    start_date: {start_date.isoformat()}
    duckdb_path: zendesk-globex.duckdb
"""
        )
        for name in list(os.environ):
            if name.startswith("ZENDESK_") or name.startswith("ZD_"):
                monkeypatch.delenv(name)
        env = {cfg.ENV_ACCOUNTS_FILE: str(path), cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"), **VARIABLES}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env


def _warehouse(tmp_path: Path, account: str) -> Warehouse:
    return Warehouse(tmp_path / f"zendesk-{account}.duckdb", schema=account)


def _start_epoch(start_date: date) -> int:
    return int(datetime.combine(start_date, datetime.min.time(), UTC).timestamp())


def _assert_exact(tmp_path: Path, simulators: dict[str, Simulator], account: str, start_date: date) -> None:
    warehouse = _warehouse(tmp_path, account)
    counts = {name: assert_matches_truth(warehouse, simulators[account], name, _start_epoch(start_date), FOREVER)
              for name in STREAMS}  # fmt: skip
    assert counts["tickets"] > 0


def test_the_cli_syncs_both_accounts_at_once_each_exactly(accounts_env, simulators, tmp_path, start_date, capsys):
    assert cli.main(["sync"]) == 0
    out = capsys.readouterr().out
    assert "account acme: done" in out and "account globex: done" in out
    for account in SEEDS:
        _assert_exact(tmp_path, simulators, account, start_date)
    # the two seeds' replicas differ: each file holds its own account, not the other's
    assert _warehouse(tmp_path, "acme").row_count("tickets") != _warehouse(tmp_path, "globex").row_count("tickets")
    with instance_in(tmp_path / "dagster_home") as instance:
        runs = {
            account: instance.get_run_records(filters=dg.RunsFilter(tags={ACCOUNT_TAG: account})) for account in SEEDS
        }
    assert all(len(records) == 1 and records[0].dagster_run.is_success for records in runs.values())
    acme, globex = runs["acme"][0], runs["globex"][0]
    assert acme.start_time < globex.end_time and globex.start_time < acme.end_time, "the runs did not overlap"


def test_a_wrong_token_fails_only_that_account(accounts_env, simulators, tmp_path, start_date, monkeypatch, capsys):
    monkeypatch.setenv("GLOBEX_OAUTH_TOKEN", "globex-wrong-token-0000")
    assert cli.main(["sync", "--streams", "organizations,users"]) == 1
    captured = capsys.readouterr()
    assert "1 of 2 accounts failed: globex" in captured.err
    assert "account acme: done" in captured.out and "account globex: failed" in captured.out
    assert "globex-wrong-token-0000" not in captured.out + captured.err
    acme = _warehouse(tmp_path, "acme")
    for name in ("organizations", "users"):
        assert assert_matches_truth(acme, simulators["acme"], name, _start_epoch(start_date), FOREVER) > 0
    with instance_in(tmp_path / "dagster_home") as instance:
        (failed,) = instance.get_runs(filters=dg.RunsFilter(tags={ACCOUNT_TAG: "globex"}))
    assert failed.status is dg.DagsterRunStatus.FAILURE

    monkeypatch.setenv("GLOBEX_OAUTH_TOKEN", VARIABLES["GLOBEX_OAUTH_TOKEN"])  # fixed: now it syncs
    assert cli.main(["sync", "--account", "globex", "--streams", "organizations,users"]) == 0
    globex = _warehouse(tmp_path, "globex")
    for name in ("organizations", "users"):
        assert assert_matches_truth(globex, simulators["globex"], name, _start_epoch(start_date), FOREVER) > 0


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, account: str, cursor: str | None = None):
    sensor = defs.resolve_sensor_def(f"{account}_sync_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_each_accounts_sensor_syncs_it_and_waits_for_its_own_runs_only(accounts_env, simulators, tmp_path, start_date):
    defs = build_definitions(accounts_env)
    with dg.instance_for_test() as instance:
        acme_job = defs.resolve_job_def("acme_sync")
        running = instance.create_run_for_job(
            job_def=acme_job, tags={ACCOUNT_TAG: "acme"}, status=dg.DagsterRunStatus.STARTED
        )
        assert "queued or in progress" in _tick(defs, instance, "acme").skip_message
        assert len(_tick(defs, instance, "globex").run_requests) == 1  # acme's run holds back nothing of globex
        instance.report_run_canceled(running)

        for account in SEEDS:
            tick = _tick(defs, instance, account)
            (request,) = tick.run_requests
            assert request.tags[ACCOUNT_TAG] == account
            assert {key.path[0] for key in request.asset_selection} == {account}
            result = defs.resolve_job_def(f"{account}_sync").execute_in_process(
                instance=instance,
                asset_selection=request.asset_selection,
                tags=request.tags,
                run_config={**QUIET, **request.run_config},
            )
            assert result.success
            _assert_exact(tmp_path, simulators, account, start_date)
            # the account's next request resumes every stream from its own marks, then its sensor is quiet
            following = _tick(defs, instance, account, tick.cursor)
            (again,) = following.run_requests
            resumed = again.run_config["ops"][f"{account}__sync"]["config"]["resume_start_times"]
            assert {"tickets", "ticket_events", "users", "organizations"} <= set(resumed)
            assert _tick(defs, instance, account, following.cursor).skip_message == "every stream is current"
