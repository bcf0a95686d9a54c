"""The instance's run and schedule storages (``dagster.yaml``): Dagster's SQLite storages with a kept engine, in
Dagster's folders, sharing the files with other processes and with Dagster's defaults."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline.pipeline import sqlite_storages
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.settings import PROJECT_ROOT

OTHER_PROCESS = """
import sys
import dagster as dg
from zd_pipeline.pipeline.commands.sync import instance_in

@dg.asset
def numbers() -> int:
    return 1

with instance_in(sys.argv[1]) as instance:
    assert dg.materialize([numbers], instance=instance).success
    instance.run_storage.set_cursor_values({"zd-test": "from the other process"})
    instance.schedule_storage.mark_index_built("zd-test-index")
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    return tmp_path


def test_the_project_instance_keeps_an_engine_in_dagsters_folders(home: Path) -> None:
    with instance_in(home) as instance:
        assert isinstance(instance.run_storage, sqlite_storages.KeptEngineSqliteRunStorage)
        assert isinstance(instance.schedule_storage, sqlite_storages.KeptEngineSqliteScheduleStorage)
        instance.run_storage.set_cursor_values({"k": "v"})
        engine = instance.run_storage._kept_engine()
        assert instance.run_storage.get_cursor_values({"k"}) == {"k": "v"}
        assert instance.run_storage._kept_engine() is engine and engine.pool.checkedin() == 1  # kept, not closed
    assert (home / "history" / "runs.db").exists() and (home / "schedules" / "schedules.db").exists()


def test_other_processes_and_dagsters_default_storages_share_the_files(home: Path) -> None:
    with instance_in(home) as instance:
        assert instance.get_runs_count() == 0 and instance.run_storage._kept_engine().pool.checkedin() == 1
        done = subprocess.run(
            [sys.executable, "-c", OTHER_PROCESS, str(home)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        # read through the connections kept open while the other process wrote
        assert instance.get_runs_count() == 1
        assert instance.run_storage.get_cursor_values({"zd-test"}) == {"zd-test": "from the other process"}
        assert instance.schedule_storage.has_built_index("zd-test-index")
        run_id = instance.get_runs()[0].run_id
    (home / "dagster.yaml").unlink()  # Dagster's default storages, same folder
    with instance_in(home) as instance:
        assert type(instance.run_storage).__name__ != "KeptEngineSqliteRunStorage"
        assert [run.run_id for run in instance.get_runs()] == [run_id]
        assert instance.schedule_storage.has_built_index("zd-test-index")


def test_a_forked_child_makes_its_own_engines_and_leaves_its_parents_alone(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run storage and the event log treat a fork alike (``ProcessEngines``): the copies of the parent's
    engines stay referenced and untouched, so nothing closes the parent's SQLite connections in the child."""
    with instance_in(home) as instance:
        run_storage, event_log = instance.run_storage, instance.event_log_storage
        run_parent = run_storage._kept_engine()
        run_storage.get_runs_count()
        event_log.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION), limit=1)
        event_parents = list(event_log._engines.values())
        assert event_parents
        monkeypatch.setattr(os, "getpid", lambda: -1)  # what the child sees
        assert run_storage._kept_engine() is not run_parent and run_storage.get_runs_count() == 0
        event_log.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION), limit=1)
        assert not set(event_log._engines.values()) & set(event_parents)
        monkeypatch.undo()
        for parent in (run_parent, *event_parents):
            assert parent.pool.checkedin() == 1  # the parent's connection was left open, in its pool
            assert any(kept is parent for kept in sqlite_storages._INHERITED)
