"""The instance's event log storage (``dagster.yaml``): what it stores equals what Dagster's default SQLite
storage stores, for the range runs a sync makes, for failed runs, and across processes reading the files."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline.pipeline import event_log
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.settings import PROJECT_ROOT

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-08")
RANGE = {"dagster/asset_partition_range_start": "2026-01-02", "dagster/asset_partition_range_end": "2026-01-06"}


class Failing(dg.Config):
    fail: bool = False


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run(), key=["zendesk", "tickets"])
def tickets(context: dg.AssetExecutionContext, config: Failing) -> dg.MaterializeResult:
    if config.fail:
        raise RuntimeError("the page could not be read")
    return dg.MaterializeResult(metadata={"records": len(context.partition_keys)})


@dg.asset_check(asset=tickets)
def no_duplicates() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run(), key=["zendesk", "users"])
def users() -> None:
    return None


def _home(tmp_path: Path, name: str, project_yaml: bool) -> Path:
    home = tmp_path / name
    home.mkdir()
    if project_yaml:
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(Dagster's default storage, the project's ``dagster.yaml``)."""
    yield _home(tmp_path, "default", False), _home(tmp_path, "project", True)


def _materialize(instance: dg.DagsterInstance, *, fail: bool = False) -> dg.ExecuteInProcessResult:
    config = {"ops": {"zendesk__tickets": {"config": {"fail": fail}}}}
    return dg.materialize(
        [tickets, no_duplicates, users], instance=instance, tags=RANGE, run_config=config, raise_on_error=False
    )


def _what_was_stored(instance: dg.DagsterInstance, run_id: str) -> dict[str, object]:
    """The run's events (type, asset, partition, in order) and what the cross-run queries answer."""
    logs = instance.all_logs(run_id)
    found: dict[str, object] = {
        "run events": [
            (e.dagster_event_type, str(e.dagster_event.asset_key), e.dagster_event.partition)
            for e in logs
            if e.dagster_event is not None
        ],
    }
    for key in (tickets.key, users.key):
        planned = instance.fetch_planned_materializations(key, limit=100).records  # deprecated, nothing replaces it
        done = instance.fetch_materializations(key, limit=100).records
        found[f"{key} planned"] = sorted(r.partition_key for r in planned)
        found[f"{key} materialized"] = sorted(r.partition_key for r in done)
        tags = instance._event_storage.get_event_tags_for_asset(key)
        found[f"{key} event tags"] = sorted(str(sorted(t)) for t in tags)  # names: a data version has the run id
        found[f"{key} materialized partitions"] = sorted(instance.get_materialized_partitions(key))
        latest = instance.get_latest_materialization_event(key)
        found[f"{key} latest"] = None if latest is None else latest.asset_materialization.partition
        found[f"{key} run of latest"] = None if latest is None else latest.run_id == run_id
        (record,) = instance.get_asset_records([key]) or [None]
        entry = None if record is None else record.asset_entry
        found[f"{key} asset row"] = (
            None
            if entry is None
            else (
                entry.last_materialization_storage_id,
                entry.last_run_id == run_id,
                entry.last_materialization and entry.last_materialization.dagster_event.partition,
            )
        )
    history = instance.event_log_storage.get_asset_check_execution_history(no_duplicates.check_key, limit=100)
    found["check executions"] = sorted((str(r.partition), r.status.value, r.run_id == run_id) for r in history)
    return found


def test_the_project_instance_uses_the_batching_storage(homes: tuple[Path, Path]) -> None:
    _, project = homes
    with instance_in(project) as instance:
        assert isinstance(instance.event_log_storage, event_log.BatchingSqliteEventLogStorage)
        assert Path(instance.event_log_storage._base_dir) == project / "history" / "runs"


@pytest.mark.parametrize("fail", [False, True], ids=["succeeded", "failed"])
def test_a_range_run_stores_what_the_default_storage_stores(
    homes: tuple[Path, Path], fail: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    default, project = homes
    batches: list[int] = []
    store = event_log.BatchingSqliteEventLogStorage._store_asset_events

    def counting(storage: event_log.BatchingSqliteEventLogStorage, events: list) -> None:
        batches.append(len(events))
        store(storage, events)

    monkeypatch.setattr(event_log.BatchingSqliteEventLogStorage, "_store_asset_events", counting)
    stored = []
    for home in (default, project):
        with instance_in(home) as instance:
            result = _materialize(instance, fail=fail)
            assert result.success is not fail
            stored.append(_what_was_stored(instance, result.run_id))
    assert stored[0] == stored[1]
    assert 5 in batches  # the planned events of an asset's five partitions went in one batch
    assert stored[1]["AssetKey(['zendesk', 'tickets']) planned"] == [
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
        "2026-01-05",
        "2026-01-06",
    ]
    assert stored[1]["AssetKey(['zendesk', 'tickets']) materialized"] == (
        [] if fail else stored[1]["AssetKey(['zendesk', 'tickets']) planned"]
    )


def test_another_process_reads_what_was_stored_and_the_default_storage_can_take_over(homes: tuple[Path, Path]) -> None:
    """Same files and rows as Dagster's default: a plain instance on the folder sees everything."""
    _, project = homes
    with instance_in(project) as instance:
        run_id = _materialize(instance).run_id
        expected = _what_was_stored(instance, run_id)
    (project / "dagster.yaml").unlink()  # Dagster's default storage, same folder
    with instance_in(project) as instance:
        assert not isinstance(instance.event_log_storage, event_log.BatchingSqliteEventLogStorage)
        assert _what_was_stored(instance, run_id) == expected
        assert _materialize(instance).success


OTHER_PROCESS = """
import sys
import dagster as dg
from zd_pipeline.pipeline.commands.sync import instance_in

@dg.asset(key=["zendesk", "tickets"])
def tickets() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"records": 1})

with instance_in(sys.argv[1]) as instance:
    assert dg.materialize([tickets], instance=instance).success
"""


def test_kept_connections_leave_the_databases_to_other_processes(homes: tuple[Path, Path]) -> None:
    """The engines keep a connection open between uses (WAL mode: no lock held between transactions)."""
    _, project = homes
    with instance_in(project) as instance:
        run_id = _materialize(instance).run_id
        assert instance.event_log_storage._engines["index"].pool.checkedin() == 1  # kept, not closed
        done = subprocess.run(
            [sys.executable, "-c", OTHER_PROCESS, str(project)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs = {r.run_id for r in instance.fetch_materializations(tickets.key, limit=100).records}
        assert len(runs) == 2 and run_id in runs  # the other process's run, read through the kept connections
        assert _materialize(instance).success  # and this one still writes


def test_engines_are_kept_per_database_and_bounded(homes: tuple[Path, Path]) -> None:
    _, project = homes
    with instance_in(project) as instance:
        storage = instance.event_log_storage
        runs = [_materialize(instance).run_id for _ in range(3)]
        kept = dict(storage._engines)
        assert set(runs) | {"index"} <= set(kept)
        for run_id in runs:
            instance.all_logs(run_id)
        assert all(storage._engines[shard] is engine for shard, engine in kept.items())
        for number in range(event_log.MAX_ENGINES + 5):
            instance.all_logs(f"no-such-run-{number}")
        assert len(storage._engines) == event_log.MAX_ENGINES


def test_batching_is_switched_on_unless_the_user_set_it(
    homes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, project = homes
    monkeypatch.delenv(event_log.BATCH_SIZE_VARIABLE, raising=False)
    with instance_in(project):
        assert event_log.os.environ[event_log.BATCH_SIZE_VARIABLE] == str(event_log.BATCH_SIZE)
    monkeypatch.setenv(event_log.BATCH_SIZE_VARIABLE, "0")
    with instance_in(project):
        assert event_log.os.environ[event_log.BATCH_SIZE_VARIABLE] == "0"
