"""Two Zendesk accounts in one accounts file: two simulators on loopback with different seeds and credentials (one
API token, one OAuth), the file naming them, and the environment holding their secrets; the simulators' clock is
the pipeline tests' (ten minutes behind the wall clock)."""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Credentials, Simulator, serve
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.pipeline.conftest import sim_clock  # noqa: F401 - a fixture, re-exported for this package
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

HISTORY_DAYS = 7  # the last week of the simulators' history: every partition is bookkept, so keep it short
FOREVER = 2**40
SEEDS = {"acme": 11, "globex": 23}
CREDENTIALS = {
    "acme": Credentials(email="agent@acme.test", api_token="acme-api-token-5e1f0c"),
    "globex": Credentials(oauth_token="globex-oauth-token-8d2b7a"),
}
VARIABLES = {  # what the accounts file names, and the values the test environment gives them
    "ACME_EMAIL": "agent@acme.test",
    "ACME_API_TOKEN": "acme-api-token-5e1f0c",
    "GLOBEX_OAUTH_TOKEN": "globex-oauth-token-8d2b7a",
}


def accounts_file(urls: dict[str, str], since: date) -> str:
    return f"""accounts:
  - name: acme
    base_url: {urls["acme"]}
    email_env: ACME_EMAIL
    api_token_env: ACME_API_TOKEN
    requests_per_minute: 0
    start_date: {since.isoformat()}
    duckdb_path: acme.duckdb
  - name: globex
    base_url: {urls["globex"]}
    oauth_token_env: GLOBEX_OAUTH_TOKEN
    requests_per_minute: 0
    start_date: {since.isoformat()}
    duckdb_path: globex.duckdb
"""


@pytest.fixture
def accounts_start() -> date:
    return datetime.now(UTC).date() - timedelta(days=HISTORY_DAYS)


@pytest.fixture
def simulators(sim_clock: ManualClock) -> dict[str, Simulator]:  # noqa: F811 - the imported fixture
    return {
        name: Simulator(scale="small", seed=seed, clock=sim_clock, rate_limit=None, credentials=CREDENTIALS[name])
        for name, seed in SEEDS.items()
    }


@pytest.fixture
def accounts_env(
    monkeypatch: pytest.MonkeyPatch, simulators: dict[str, Simulator], tmp_path: Path, accounts_start: date
) -> Iterator[dict[str, str]]:
    """Both simulators served, the accounts file naming them, and the environment set for real (child processes
    and runs resolve the variables from it); no ``ZENDESK_*`` or other ``ZD_*`` variable is set."""
    with ExitStack() as served:
        urls = {name: served.enter_context(serve(sim)) for name, sim in simulators.items()}
        path = tmp_path / "accounts.yaml"
        path.write_text(accounts_file(urls, accounts_start))
        for name in list(os.environ):
            if name.startswith(("ZENDESK_", "ZD_")):
                monkeypatch.delenv(name)
        env = {cfg.ENV_ACCOUNTS_FILE: str(path), cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"), **VARIABLES}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env


def account_warehouse(folder: Path, account: str) -> Warehouse:
    return Warehouse(folder / f"{account}.duckdb")


def assert_exact(folder: Path, simulators: dict[str, Simulator], account: str, since: date, streams=STREAMS) -> None:
    """Every table of ``streams`` in the account's file equals its own simulator's truth from ``since`` on."""
    warehouse = account_warehouse(folder, account)
    start = int(datetime.combine(since, datetime.min.time(), UTC).timestamp())
    counts = {name: assert_matches_truth(warehouse, simulators[account], name, start, FOREVER) for name in streams}
    assert counts.get("tickets", 1) > 0 and sum(counts.values()) > 0
