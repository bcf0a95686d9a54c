"""Two syncs at once, and a user's read-only SQL session held open during a sync: one waits or fails clearly, no
page is lost, the DuckDB file is never corrupt."""

import subprocess
import sys

import duckdb

from zd_pipeline.pipeline.partitions import LAG_SECONDS
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline_tests.pipeline.truth import assert_matches_truth
from zd_pipeline_tests.reliability.kill import PACKAGE_ROOT, start_sync, sync_env

FOREVER = 2**40
STREAMS = ("users", "organizations")


def test_two_syncs_started_at_once_one_waits_or_refuses_and_nothing_is_lost(
    simulator, base_url, tmp_path, start_date, start_epoch, warehouse, duckdb_path
):
    env = sync_env(base_url, duckdb_path, tmp_path / "dagster_home", start_date)
    first, second = start_sync(env, STREAMS), start_sync(env, STREAMS)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    statuses = [first.returncode, second.returncode]
    assert 0 in statuses, outputs
    print(f"\nTWO SYNCS | exit statuses {statuses} | {[err.splitlines()[-1:] for _, err in outputs]}")
    for status, (_, err) in zip(statuses, outputs, strict=True):
        # Either both ran (taking turns page by page under the writer lock) or one refused, naming the other run.
        assert status == 0 or "another sync of account 'zendesk' is in progress" in err, err
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        con.execute("SELECT count(*) FROM zendesk.users").fetchone()
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER)


HOLD = (  # a user's SQL session: opened read-only, kept open until told to close
    "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); c.execute('SELECT 1'); "
    "print('open', flush=True); sys.stdin.readline()"
)


def test_a_read_only_session_held_open_makes_the_sync_fail_clearly_and_the_next_one_catches_up(
    pipeline_env, simulator, sim_clock, instance, warehouse, duckdb_path, start_epoch
):
    assert run_sync(pipeline_env, STREAMS, instance=instance).success
    before = {name: assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) for name in STREAMS}
    simulator.mutate(updates=10, creates=12)
    sim_clock.advance(LAG_SECONDS + 1)

    session = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(duckdb_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": PACKAGE_ROOT, "PATH": ""},
    )
    try:
        assert session.stdout.readline().strip() == "open"
        held = run_sync(pipeline_env, STREAMS, instance=instance, resource_config={"warehouse": {"lock_timeout": 1.0}})
    finally:
        session.stdin.write("\n")
        session.stdin.flush()
        session.wait(timeout=30)
    assert not held.success
    print(f"\nHELD SESSION | {held.failure}")
    assert str(duckdb_path) in held.failure and "close" in held.failure.lower(), held.failure
    # Nothing committed before was damaged: the old truth is still there, row for row.
    for name, count in before.items():
        assert warehouse.row_count(name) == count

    after = run_sync(pipeline_env, STREAMS, instance=instance)
    assert after.success, after.failure
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER)
    assert warehouse.row_count("users") > before["users"]
