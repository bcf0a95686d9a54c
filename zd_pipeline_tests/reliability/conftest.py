"""Fixtures for the reliability tests: the pipeline tests' real parts (simulator over loopback, DuckDB file in
tmp_path, Dagster instance), plus a client that shares the simulator's ``ManualClock``.

With ``shared_clock`` the client's back-off and ``Retry-After`` waits advance the simulator's clock instead of
sleeping, so a 429 storm or a 5xx burst costs no wall time while both ends see the minutes pass (the rate-limit
window moves on). Timeouts stay real: the ``slow`` fault delays a response in wall time.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.pipeline import resources
from zd_pipeline.simulator import Simulator
from zd_pipeline_tests.pipeline.conftest import (  # noqa: F401 - fixtures re-exported for this package
    base_url,
    duckdb_path,
    instance,
    pipeline_env,
    sim_clock,
    warehouse,
)

# The fault draws are a function of the seed and the request number; with this seed the first requests of a
# sync draw several faults at every share these tests use, never more than two in a row (the client retries 6).
SEED = 16


@pytest.fixture
def simulator(sim_clock: ManualClock) -> Simulator:  # noqa: F811 - the imported fixture
    return Simulator(scale="small", seed=SEED, clock=sim_clock, rate_limit=None)


HISTORY_DAYS = 30


@pytest.fixture
def start_date() -> str:
    """Only the last month of the simulator's 89 days: a range run writes one materialization per daily partition
    and stream into the instance's SQLite, and those writes, not the paging, are most of a short sync's time."""
    return (datetime.now(UTC).date() - timedelta(days=HISTORY_DAYS)).isoformat()


@pytest.fixture
def start_epoch(start_date: str) -> int:
    """The first partition's start: the truth a sync from ``start_date`` must reproduce begins here."""
    return int(datetime.combine(date.fromisoformat(start_date), datetime.min.time(), UTC).timestamp())


@pytest.fixture
def shared_clock(monkeypatch: pytest.MonkeyPatch, sim_clock: ManualClock) -> Iterator[ManualClock]:  # noqa: F811
    """Every client built by the Zendesk resource runs on the simulator's clock (sleeping advances it)."""
    monkeypatch.setattr(resources, "SystemClock", lambda: sim_clock)
    yield sim_clock


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[2]
