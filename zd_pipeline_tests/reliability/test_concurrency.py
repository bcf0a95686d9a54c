"""Two syncs at once (one waits or refuses, no page is lost), and a user's read-only SQL session held open across
syncs or opened during one: it never makes a sync wait or fail, keeps answering, and a new session sees the new
rows."""

import subprocess
import sys
from pathlib import Path

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
        # Either both ran (one after the other, under the account's writer lock) or one refused, naming the other.
        assert status == 0 or "another sync of account 'zendesk' is in progress" in err, err
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        con.execute("SELECT count(*) FROM zendesk.users").fetchone()
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER)


HOLD = (  # a user's SQL session: opened read-only, kept open; prints the users count on each line of stdin
    "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True)\n"
    "for _ in sys.stdin: print(c.execute('SELECT count(*) FROM users').fetchone()[0], flush=True)"
)


def _count(session: subprocess.Popen[str]) -> int:
    session.stdin.write("count\n")
    session.stdin.flush()
    return int(session.stdout.readline())


def _users(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:  # a fresh session, as a user opens one
        return con.execute("SELECT count(*) FROM users").fetchone()[0]


def test_a_read_only_session_held_open_across_two_syncs_never_stalls_them_and_keeps_answering(
    pipeline_env, simulator, sim_clock, instance, warehouse, duckdb_path, start_epoch
):
    assert run_sync(pipeline_env, STREAMS, instance=instance).success
    first = _users(duckdb_path)
    session = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(duckdb_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": PACKAGE_ROOT, "PATH": ""},
    )
    try:
        assert _count(session) == first
        for _ in range(2):  # two syncs while the session stays open, each with new users to land
            simulator.mutate(updates=10, creates=12)
            sim_clock.advance(LAG_SECONDS + 1)
            outcome = run_sync(
                pipeline_env, STREAMS, instance=instance, resource_config={"warehouse": {"lock_timeout": 1.0}}
            )
            assert outcome.success, outcome.failure
            assert _count(session) == first  # the copy it opened, still answering
        for name in STREAMS:
            assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER)
        assert _users(duckdb_path) > first  # a new session sees the new rows
    finally:
        session.stdin.close()
        session.wait(timeout=30)


def test_a_session_opened_during_a_sync_opens_at_once_and_sees_the_last_publish(
    simulator, base_url, tmp_path, start_date, start_epoch, warehouse, duckdb_path
):
    env = sync_env(base_url, duckdb_path, tmp_path / "dagster_home", start_date)
    assert start_sync(env, STREAMS).wait(timeout=300) == 0
    before = _users(duckdb_path)
    simulator.mutate(updates=10, creates=12)
    sync = start_sync(env, STREAMS)
    counts = []
    try:
        while sync.poll() is None:  # sessions opened at any moment of the sync
            counts.append(_users(duckdb_path))
    finally:
        sync.communicate(timeout=300)
    assert sync.returncode == 0 and counts
    assert set(counts) <= {before, _users(duckdb_path)}  # the last publish, whole: before the sync or after it
