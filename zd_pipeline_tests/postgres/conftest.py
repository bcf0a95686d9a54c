"""A real PostgreSQL server for the instance tests: one per pytest process (each xdist worker starts its own),
started on first use and stopped at the end of the session; every test gets a new database on it."""

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline.settings import PROJECT_ROOT
from zd_pipeline_tests.pipeline import conftest as pipeline_parts
from zd_pipeline_tests.postgres.server import PASSWORD, USER, PostgresServer, start_server

DEPLOY = PROJECT_ROOT / "deploy"

# The pipeline tests' real parts: the simulator over loopback HTTP, a DuckDB file, the pinned environment.
sim_clock = pipeline_parts.sim_clock
simulator = pipeline_parts.simulator
base_url = pipeline_parts.base_url
duckdb_path = pipeline_parts.duckdb_path
pipeline_env = pipeline_parts.pipeline_env
warehouse = pipeline_parts.warehouse


@pytest.fixture
def start_date() -> str:
    """Three days and today: what these tests prove is the instance's storage, not the sync's paging."""
    return (datetime.now(UTC).date() - timedelta(days=3)).isoformat()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_env(monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer) -> dict[str, str]:
    """deploy/env.example's instance variables, for a new database on the test server."""
    database = f"dagster_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(database)
    env = {
        "DAGSTER_PG_HOST": postgres_server.host,
        "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_DB": database,
        "DAGSTER_PG_USERNAME": USER,
        "DAGSTER_PG_PASSWORD": PASSWORD,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def postgres_home(tmp_path: Path, pipeline_env: dict[str, str], postgres_env: dict[str, str]) -> Path:
    """A ``DAGSTER_HOME`` (the pipeline environment's) holding ``deploy/dagster.yaml`` as it ships."""
    home = Path(pipeline_env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def postgres_instance(postgres_home: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        yield instance
