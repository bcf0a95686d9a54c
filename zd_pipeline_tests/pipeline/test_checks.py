"""Each raw-table asset check, run by Dagster on a real DuckDB file: green on the scenario, red on data built to
fail it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline.catalogue import STREAMS, TICKET_EVENTS, to_iso
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.clock import ManualClock
from zd_pipeline.pipeline.checks import (
    EVENTS_HAVE_TICKETS,
    FRESH,
    NEVER_SHRINKS,
    UNIQUE_IDS,
    build_raw_checks,
    previous_row_count,
)
from zd_pipeline.pipeline.resources import WarehouseResource
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.analytics import scenario

SYNCED_THROUGH = int(scenario.at(5, 0).timestamp())  # the scenario's completed sync window ends here
HOUR = 3600
Evaluations = dict[tuple[str, str], dg.AssetCheckEvaluation]


def _loaded(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    scenario.load(Warehouse(path), window_end=SYNCED_THROUGH)
    return path


def _run_checks(
    path: Path,
    *,
    now: float = SYNCED_THROUGH + HOUR,
    freshness_hours: float = 6.0,
    instance: dg.DagsterInstance | None = None,
) -> Evaluations:
    checks = build_raw_checks("zendesk", freshness_hours, clock=ManualClock(now))
    raw = [dg.AssetSpec(["zendesk", name]) for name in STREAMS]
    result = dg.materialize(
        [*raw, *checks],
        resources={"warehouse": WarehouseResource(path=str(path))},
        instance=instance or dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.all_asset_checks(),
    )
    assert result.success  # a failed check is a red check, never a failed run
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def _meta(evaluation: dg.AssetCheckEvaluation) -> dict[str, object]:
    return {name: value.value for name, value in evaluation.metadata.items()}


def test_every_check_passes_on_a_sound_synced_account(tmp_path: Path) -> None:
    evaluations = _run_checks(_loaded(tmp_path))
    synced = {"tickets", "ticket_events", "ticket_metric_events", "users"}
    expected_names = {UNIQUE_IDS, FRESH, NEVER_SHRINKS}
    assert {(s, c) for s, c in evaluations if s in synced} == {
        *((s, c) for s in synced for c in expected_names),
        ("ticket_events", EVENTS_HAVE_TICKETS),
    }
    failed = [key for key, e in evaluations.items() if key[0] in synced and not e.passed]
    assert failed == []


def test_duplicate_and_missing_ids_fail_the_id_check(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    with Warehouse(path).write() as con:  # a table without its primary key: what a hand-made copy could hold
        con.execute("CREATE TABLE tickets_copy AS SELECT * FROM tickets")
        con.execute("DROP TABLE tickets")
        con.execute("CREATE TABLE tickets AS SELECT * FROM tickets_copy")
        con.execute("INSERT INTO tickets SELECT * FROM tickets_copy WHERE id IN (1, 2)")
        con.execute("INSERT INTO tickets SELECT * REPLACE (NULL AS id) FROM tickets_copy WHERE id = 3")
    evaluation = _run_checks(path)[("tickets", UNIQUE_IDS)]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert _meta(evaluation) == {"null_ids": 1, "duplicated_ids": 2, "duplicated_sample": "1, 2"}


def test_freshness_fails_once_the_lag_exceeds_its_configurable_bound(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    assert _run_checks(path, now=SYNCED_THROUGH + 5 * HOUR)[("tickets", FRESH)].passed
    stale = _run_checks(path, now=SYNCED_THROUGH + 7 * HOUR)[("tickets", FRESH)]
    assert not stale.passed
    assert _meta(stale)["lag_hours"] == pytest.approx(7.0)
    assert _run_checks(path, now=SYNCED_THROUGH + 7 * HOUR, freshness_hours=8)[("tickets", FRESH)].passed


def test_a_quiet_stream_that_keeps_syncing_stays_fresh(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    later = SYNCED_THROUGH + 30 * HOUR  # no new users in 30 hours, but the sync window completed up to now
    Warehouse(path).apply_page(
        STREAMS["users"],
        [],
        Checkpoint("users", SYNCED_THROUGH, later, ResumePoint(start_time=later), complete=True),
    )
    evaluations = _run_checks(path, now=later + HOUR)
    assert evaluations[("users", FRESH)].passed
    assert not evaluations[("tickets", FRESH)].passed
    assert not evaluations[("organizations", FRESH)].passed  # never synced at all


def test_a_table_with_fewer_rows_than_last_recorded_fails(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    key = dg.AssetKey(["zendesk", "tickets"])
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": 4}))
    tickets = len(scenario.records()["tickets"])
    assert tickets > 4
    assert _run_checks(path, instance=instance)[("tickets", NEVER_SHRINKS)].passed
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": tickets + 1}))
    shrunk = _run_checks(path, instance=instance)[("tickets", NEVER_SHRINKS)]
    assert not shrunk.passed
    assert _meta(shrunk) == {"row_count": tickets, "previous_row_count": tickets + 1}


def test_the_current_runs_own_materializations_are_not_the_baseline() -> None:
    instance = dg.DagsterInstance.ephemeral()
    key = dg.AssetKey(["zendesk", "users"])
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": 7}))
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": 9}))
    newest = instance.fetch_materializations(key, limit=1).records[0]
    assert previous_row_count(instance, key, current_run_id="another run") == 9
    assert previous_row_count(instance, key, current_run_id=newest.run_id) is None  # runless events share a run id
    assert previous_row_count(instance, dg.AssetKey(["zendesk", "nothing"]), current_run_id="x") is None


def test_events_of_unknown_tickets_warn_without_failing(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    orphan = {"id": 9001, "ticket_id": 999, "timestamp": SYNCED_THROUGH - 10, "updater_id": 100, "child_events": []}
    Warehouse(path).apply_page(
        TICKET_EVENTS,
        [orphan],
        Checkpoint("ticket_events", 0, SYNCED_THROUGH, ResumePoint(start_time=SYNCED_THROUGH), complete=True),
    )
    evaluation = _run_checks(path)[("ticket_events", EVENTS_HAVE_TICKETS)]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert _meta(evaluation) == {"orphan_events": 1, "missing_tickets": 1, "missing_ticket_sample": "999"}


def test_a_missing_warehouse_fails_every_check_with_what_to_do(tmp_path: Path) -> None:
    evaluations = _run_checks(tmp_path / "never-synced.duckdb")
    assert evaluations and not any(e.passed for e in evaluations.values())
    assert all("run a sync first" in (e.description or "") for e in evaluations.values())


def test_a_nonsense_freshness_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="freshness_hours"):
        build_raw_checks("zendesk", 0)


def test_a_successful_sync_of_todays_open_window_counts_as_fresh(tmp_path: Path) -> None:
    path = _loaded(tmp_path)
    now = SYNCED_THROUGH + 30 * HOUR  # nothing new for 30 h; today's window is never "complete" before midnight
    instance = dg.DagsterInstance.ephemeral()
    assert not _run_checks(path, now=now, instance=instance)[("tickets", FRESH)].passed
    synced = dg.AssetMaterialization(["zendesk", "tickets"], metadata={"window_end": to_iso(int(now) - 60)})
    instance.report_runless_asset_event(synced)
    evaluations = _run_checks(path, now=now, instance=instance)
    assert evaluations[("tickets", FRESH)].passed
    assert _meta(evaluations[("tickets", FRESH)])["synced_through"] == to_iso(int(now) - 60)
    assert not evaluations[("ticket_events", FRESH)].passed  # another stream's sync says nothing about this one


def test_the_baseline_is_what_was_recorded_before_the_current_run_was_created() -> None:
    @dg.asset(key=["zendesk", "users"])
    def users() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"row_count": 5})

    instance = dg.DagsterInstance.ephemeral()
    key = dg.AssetKey(["zendesk", "users"])
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": 3}))
    run = dg.materialize([users], instance=instance)
    # recorded after the run was created, by someone else: not what the run's table is compared with
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={"row_count": 99}))
    assert previous_row_count(instance, key, current_run_id=run.run_id) == 3


def test_the_baseline_is_found_behind_a_long_range_run_of_the_current_run() -> None:
    """A range run records one materialization per partition; the pages that skip them grow (8, 32, 100)."""
    days = dg.StaticPartitionsDefinition([f"d{n:02d}" for n in range(60)])

    @dg.asset(key=["zendesk", "users"], partitions_def=days, backfill_policy=dg.BackfillPolicy.single_run())
    def users(context) -> dg.MaterializeResult:  # AssetExecutionContext; Dagster rejects the string hint
        return dg.MaterializeResult(metadata={"row_count": len(context.partition_keys)})

    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([users], instance=instance, partition_key="d00").success
    ranged = dg.materialize(
        [users],
        instance=instance,
        tags={"dagster/asset_partition_range_start": "d01", "dagster/asset_partition_range_end": "d59"},
    )
    assert ranged.success and len(ranged.get_asset_materialization_events()) == 59
    key = dg.AssetKey(["zendesk", "users"])
    assert previous_row_count(instance, key, current_run_id=ranged.run_id) == 1  # the first run's, one partition


def test_checks_of_a_stream_the_plan_does_not_offer_pass_saying_so(tmp_path: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    routing = dg.AssetKey(["zendesk", "routing_attributes"])
    instance.report_runless_asset_event(dg.AssetObservation(routing, metadata={"offered_by_plan": False}))
    evaluations = _run_checks(_loaded(tmp_path), instance=instance)
    (fresh, unique) = evaluations[("routing_attributes", FRESH)], evaluations[("routing_attributes", UNIQUE_IDS)]
    assert fresh.passed and unique.passed and "not offered by this account's Zendesk plan" in fresh.description
    assert _meta(fresh) == {"offered_by_plan": False}
    assert not evaluations[("routing_attribute_values", FRESH)].passed  # no observation: never synced, red
