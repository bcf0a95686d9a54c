"""Our clock behind Zendesk's: the newest changes wait for our clock, and none is lost.

The other pipeline tests run the simulator ten minutes behind the wall clock (our clock ahead of Zendesk's). Here
it runs ten minutes ahead: changes Zendesk already serves are, by our clock, in the future. A sync pages up to
its own ``now - 60 s`` (the window's end) and stores the point it stopped at, so those changes are read by a
later sync, once our clock has passed them; nothing before that point may be missing or stale.
"""

import time

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.pipeline.partitions import LAG_SECONDS
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline.simulator import Simulator
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.pipeline.truth import table_state, truth_state

ZENDESK_AHEAD = 600
NAMES = ["tickets", "ticket_events", "users", "organizations"]


@pytest.fixture
def sim_clock() -> ManualClock:
    return ManualClock(time.time() + ZENDESK_AHEAD)


def _resume_time(warehouse: Warehouse, name: str) -> int:
    """Where the stream's newest window resumes (a time: the sync stopped at its window's end)."""
    newest = max(warehouse.checkpoints(name), key=lambda checkpoint: checkpoint.window_end)
    assert newest.resume.start_time is not None, newest
    return newest.resume.start_time


def test_a_clock_behind_zendesk_delays_the_newest_changes_and_loses_none(
    pipeline_env, simulator: Simulator, sim_clock: ManualClock, instance, warehouse: Warehouse
) -> None:
    simulator.mutate(updates=20, creates=10, deletes=3)
    sim_clock.advance(LAG_SECONDS + 1)  # Zendesk serves them now; by our clock they are ten minutes ahead
    outcome = run_sync(pipeline_env, NAMES, instance=instance)
    assert outcome.success, outcome.failure
    our_horizon = int(time.time()) - LAG_SECONDS

    delayed = 0
    for name in NAMES:
        resume = _resume_time(warehouse, name)
        assert resume <= our_horizon, name  # never a start time in our future
        stored, truth = table_state(warehouse, name), truth_state(simulator, name)
        assert set(stored) <= set(truth), name
        behind = {record_id for record_id, state in truth.items() if stored.get(record_id) != state}
        assert all(truth[record_id][0] >= resume for record_id in behind), name  # the next sync re-reads them
        delayed += len(behind)
    assert delayed > 0  # the changes in our future did wait
