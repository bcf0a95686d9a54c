"""Real parts for the pipeline tests: the simulator over loopback HTTP, a DuckDB file, a Dagster instance.

The simulator's clock is a ``ManualClock`` ten minutes behind the wall clock, so a test can make changes "now"
on the simulator and pass Zendesk's one-minute lag by advancing that clock, never by sleeping, while the
pipeline (which clamps to wall-clock now − 60 s) already sees the simulator's present as the past.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline import settings as cfg
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.warehouse import Warehouse

SIMULATOR_BEHIND_WALL_CLOCK = 600


@pytest.fixture
def sim_clock() -> ManualClock:
    return ManualClock(time.time() - SIMULATOR_BEHIND_WALL_CLOCK)


@pytest.fixture
def simulator(sim_clock: ManualClock) -> Simulator:
    return Simulator(scale="small", seed=11, clock=sim_clock, rate_limit=None)


@pytest.fixture
def base_url(simulator: Simulator) -> Iterator[str]:
    with serve(simulator) as url:
        yield url


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "zendesk.duckdb"


@pytest.fixture
def start_date() -> str:
    """A start date before the simulator's oldest record, so a full sync covers its whole history."""
    return (datetime.now(UTC).date() - timedelta(days=cfg.DEFAULT_HISTORY_DAYS + 2)).isoformat()


@pytest.fixture
def pipeline_env(
    monkeypatch: pytest.MonkeyPatch, base_url: str, duckdb_path: Path, start_date: str, tmp_path: Path
) -> dict[str, str]:
    """The pinned environment, set for real: the resource's EnvVars resolve from os.environ in the run."""
    env = {
        cfg.ENV_BASE_URL: base_url,
        cfg.ENV_EMAIL: cfg.DEMO_EMAIL,
        cfg.ENV_API_TOKEN: cfg.DEMO_API_TOKEN,
        cfg.ENV_REQUESTS_PER_MINUTE: "0",
        cfg.ENV_DUCKDB_PATH: str(duckdb_path),
        cfg.ENV_START_DATE: start_date,
        cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(cfg.ENV_OAUTH_TOKEN, raising=False)
    monkeypatch.delenv(cfg.ENV_SUBDOMAIN, raising=False)
    return env


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def warehouse(duckdb_path: Path) -> Warehouse:
    return Warehouse(duckdb_path)
