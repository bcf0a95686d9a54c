"""Maintenance windows and overload end to end: ``zd-pipeline sync`` against a simulator answering 503 (or 429) with
``Retry-After`` in each form servers send, on a real Dagster instance and DuckDB file.

The client runs on the simulator's clock (``shared_clock``), so minutes of maintenance pass without sleeping. The
simulator's request log shows nothing was sent before a wait expired; the tables equal the truth afterwards.
"""

from datetime import UTC, datetime, timedelta

import pytest

from zd_pipeline import cli
from zd_pipeline import settings as cfg
from zd_pipeline.simulator import Simulator
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

STREAMS = ["organizations", "users"]
FOREVER = 2**40


@pytest.fixture
def start_date() -> str:
    """A week: enough pages for every case, a quarter of the partitions' bookkeeping of the package's month."""
    return (datetime.now(UTC).date() - timedelta(days=7)).isoformat()


def _sync(capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = cli.main(["sync", "--streams", ",".join(STREAMS)])
    return status, capsys.readouterr().err


def _refused(simulator: Simulator) -> list[tuple[float, str]]:
    return [(entry[0], entry[2]) for entry in simulator.request_log if entry[4] in (429, 503)]


@pytest.mark.parametrize(
    ("status", "form"),
    [(503, "seconds"), (503, "fractional"), (503, "http-date"), (503, "repeated"), (503, "joined"), (429, "joined")],
)
def test_a_maintenance_window_is_waited_out_and_nothing_is_sent_early(
    status, form, pipeline_env, simulator, shared_clock, warehouse, start_epoch, capsys
):
    """Eight minutes of maintenance saying "come back in a minute": the sync waits each minute out, sends nothing
    before it has passed, and lands exactly the truth (the default bound, 15 minutes per request, is not hit)."""
    window = simulator.start_maintenance(480, status=status, retry_after=form, step=60)
    exit_status, err = _sync(capsys)
    assert exit_status == 0, err
    log = simulator.request_log
    refused = [entry for entry in log if entry[4] == status]
    assert refused, "the sync never met the maintenance window"
    for at, _, path, _, _ in refused:
        following = [entry[0] for entry in log if entry[2] == path and entry[0] > at]
        advertised = min(window.end - at, 60)
        assert following and min(following) >= at + advertised - 1e-6, (at, path, following[:1])
    # Each stream waited out the window with about one request a minute, not a retry storm.
    assert len(refused) <= len(STREAMS) * (480 // 60 + 2)
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0


def test_a_window_beyond_the_bound_fails_naming_the_setting_and_a_rerun_is_exact(
    pipeline_env, simulator, shared_clock, warehouse, start_epoch, capsys, monkeypatch
):
    monkeypatch.setenv(cfg.ENV_MAX_WAIT_MINUTES, "5")
    simulator.start_maintenance(3600, retry_after="seconds", step=60)
    exit_status, err = _sync(capsys)
    assert exit_status == 1
    message = next(line for line in err.splitlines() if line.startswith("zd-pipeline sync:"))
    assert "ZENDESK_MAX_WAIT_MINUTES=5" in message and "HTTP 503" in message, message
    refused = _refused(simulator)
    assert refused and max(at for at, _ in refused) < simulator.maintenance.end
    simulator.start_maintenance(0)
    monkeypatch.delenv(cfg.ENV_MAX_WAIT_MINUTES)
    exit_status, err = _sync(capsys)
    assert exit_status == 0, err
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0
