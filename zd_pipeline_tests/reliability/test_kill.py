"""A ``zd-pipeline sync`` process SIGKILLed at seeded random moments, restarted: the tables equal the truth,
nothing is duplicated, the DuckDB file opens after every kill. ``python -m bench.kill_trials`` runs many more."""

import pytest

from zd_pipeline_tests.reliability.kill import kill_trial


@pytest.mark.parametrize("seed", [1, 2])
def test_a_killed_sync_restarts_to_the_exact_truth(seed, simulator, base_url, tmp_path):
    simulator.set_faults("slow=0.3:0.2")  # pages take a little while, so the kill lands among them
    result = kill_trial(simulator, base_url, tmp_path, seed=seed, kills=1, window=2.0)
    assert result.final_exit == 0, result.final_stderr
    assert result.opened_after_every_kill
    assert result.runs_in_progress == 0  # the killed run was marked failed by the restart
    assert not result.differences, result.differences
    assert result.rows > 4_000
