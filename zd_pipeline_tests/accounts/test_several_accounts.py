"""Two Zendesk accounts in one accounts file, end to end: two simulators (different seeds and credentials, one API
token, one OAuth) on loopback, two DuckDB files, one Dagster instance.

From the CLI (``zd-pipeline sync`` with no ``--account``: a process per account) both replicas are exact (the
reference tables too, each from its own account) and the two sync runs overlap in time; a wrong token fails that
account alone. Through the sensors each account's own request syncs it exactly, and a run in flight for one account
holds back only that account's sensor.
"""

import dagster as dg

from zd_pipeline import cli
from zd_pipeline.catalogue import LISTS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline_tests.accounts.conftest import SEEDS, VARIABLES, account_warehouse, assert_exact
from zd_pipeline_tests.pipeline.test_reference_sync import assert_list_matches_truth

TWO_STREAMS = ("organizations", "users")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def test_the_cli_syncs_both_accounts_at_once_each_exactly(accounts_env, simulators, tmp_path, accounts_start, capsys):
    assert cli.main(["sync"]) == 0
    out = capsys.readouterr().out
    assert "account acme: done" in out and "account globex: done" in out
    for account in SEEDS:
        assert_exact(tmp_path, simulators, account, accounts_start)
    # the two seeds' replicas differ: each file holds its own account, not the other's
    counts = {account: account_warehouse(tmp_path, account).row_count("tickets") for account in SEEDS}
    assert counts["acme"] != counts["globex"]
    ratings = {}
    for account in SEEDS:  # each account's reference tables hold its own lists, exactly
        warehouse = account_warehouse(tmp_path, account)
        listed = {name: assert_list_matches_truth(warehouse, simulators[account], name) for name in LISTS}
        assert listed["groups"] > 0
        ratings[account] = listed["satisfaction_ratings"]
    assert ratings["acme"] != ratings["globex"]
    with instance_in(tmp_path / "dagster_home") as instance:
        runs = {
            account: instance.get_run_records(filters=dg.RunsFilter(tags={ACCOUNT_TAG: account})) for account in SEEDS
        }
    # each account's sync run, then its reference refresh, both successful
    expected = {account: {f"{account}_sync", f"{account}_reference_refresh"} for account in SEEDS}
    assert {account: {r.dagster_run.job_name for r in records} for account, records in runs.items()} == expected
    assert all(r.dagster_run.is_success for records in runs.values() for r in records)
    runs = {
        account: [r for r in records if r.dagster_run.job_name.endswith("_sync")] for account, records in runs.items()
    }
    acme, globex = runs["acme"][0], runs["globex"][0]
    assert acme.start_time < globex.end_time and globex.start_time < acme.end_time, "the runs did not overlap"


def test_a_wrong_token_fails_only_that_account(accounts_env, simulators, tmp_path, accounts_start, monkeypatch, capsys):
    monkeypatch.setenv("GLOBEX_OAUTH_TOKEN", "globex-wrong-token-0000")
    assert cli.main(["sync", "--streams", ",".join(TWO_STREAMS)]) == 1
    captured = capsys.readouterr()
    assert "1 of 2 accounts failed: globex" in captured.err
    assert "account acme: done" in captured.out and "account globex: failed" in captured.out
    assert "globex-wrong-token-0000" not in captured.out + captured.err
    assert_exact(tmp_path, simulators, "acme", accounts_start, TWO_STREAMS)
    with instance_in(tmp_path / "dagster_home") as instance:
        (failed,) = instance.get_runs(filters=dg.RunsFilter(tags={ACCOUNT_TAG: "globex"}))
    assert failed.status is dg.DagsterRunStatus.FAILURE

    monkeypatch.setenv("GLOBEX_OAUTH_TOKEN", VARIABLES["GLOBEX_OAUTH_TOKEN"])  # fixed: now it syncs
    assert cli.main(["sync", "--account", "globex", "--streams", ",".join(TWO_STREAMS)]) == 0
    assert_exact(tmp_path, simulators, "globex", accounts_start, TWO_STREAMS)


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, account: str, cursor: str | None = None):
    sensor = defs.resolve_sensor_def(f"{account}_sync_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_each_accounts_sensor_syncs_it_and_waits_for_its_own_runs_only(
    accounts_env, simulators, tmp_path, accounts_start
):
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
            assert_exact(tmp_path, simulators, account, accounts_start)
            # the account's next request resumes every stream from its own marks, then its sensor is quiet
            following = _tick(defs, instance, account, tick.cursor)
            (again,) = following.run_requests
            resumed = again.run_config["ops"][f"{account}__sync"]["config"]["resume_start_times"]
            assert {"tickets", "ticket_events", "users", "organizations"} <= set(resumed)
            assert _tick(defs, instance, account, following.cursor).skip_message == "every stream is current"
