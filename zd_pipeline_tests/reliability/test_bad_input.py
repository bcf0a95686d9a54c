"""Bad input: a clear error that names the fix, a non-zero exit of ``zd-pipeline sync``, nothing committed damaged.

Every case runs the real command (``zd_pipeline.cli.main``, in this process so the simulator's truth is at hand)
against a DuckDB file that already holds a good sync of organizations; afterwards that file's tables are exactly
as before. Hostile servers are tiny loopback listeners (``listener.py``). ``MESSAGES`` collects what each case
printed: the table in docs/troubleshooting.md is copied from it (``pytest -s`` prints it).
"""

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from zd_pipeline import cli
from zd_pipeline import settings as cfg
from zd_pipeline.clock import ManualClock
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline_tests.reliability.listener import html_reply, json_reply, listening

STREAM = "organizations"
MESSAGES: dict[str, str] = {}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, str]]:
    simulator = Simulator(scale="small", seed=16, clock=ManualClock(datetime.now(UTC).timestamp() - 600))
    with serve(simulator) as base_url:
        yield simulator, base_url


@pytest.fixture(scope="module")
def committed(served, tmp_path_factory) -> tuple[Path, Path, dict]:
    """A DuckDB file after one good sync, its snapshot, and the module's Dagster home (one instance for all)."""
    folder = tmp_path_factory.mktemp("committed")
    db, home = folder / "good.duckdb", folder / "dagster_home"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _good_env(served[1], db, home).items():
            patch.setenv(name, value)
        assert cli.main(["sync", "--streams", STREAM]) == 0
    return db, home, snapshot(db)


@pytest.fixture
def env(monkeypatch, served, committed, tmp_path) -> dict[str, str]:
    """The good environment on a copy of the committed file; a case changes one variable."""
    db = tmp_path / "zendesk.duckdb"
    shutil.copyfile(committed[0], db)
    values = _good_env(served[1], db, committed[1])
    for name in (cfg.ENV_SUBDOMAIN, cfg.ENV_OAUTH_TOKEN, cfg.ENV_MAX_WAIT_MINUTES, *cfg.OAUTH_REFRESH_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _good_env(base_url: str, db: Path, home: Path) -> dict[str, str]:
    return {
        cfg.ENV_BASE_URL: base_url,
        cfg.ENV_EMAIL: cfg.DEMO_EMAIL,
        cfg.ENV_API_TOKEN: cfg.DEMO_API_TOKEN,
        cfg.ENV_REQUESTS_PER_MINUTE: "0",
        cfg.ENV_DUCKDB_PATH: str(db),
        cfg.ENV_START_DATE: (datetime.now(UTC).date() - timedelta(days=20)).isoformat(),
        cfg.ENV_DAGSTER_HOME: str(home),
    }


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_catalog, table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        return {
            f"{schema}.{table}": con.execute(f'SELECT * FROM "{catalog}"."{schema}"."{table}" ORDER BY ALL').fetchall()
            for catalog, schema, table in tables
        }


def sync_fails(capsys, monkeypatch, case: str, exit_status: int, *fixes: str, **env: str) -> str:
    """Run ``zd-pipeline sync`` with ``env`` changed; it must exit ``exit_status`` with every fix on stderr."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    status = cli.main(["sync", "--streams", STREAM])
    err = capsys.readouterr().err
    message = next(line for line in err.splitlines() if line.startswith("zd-pipeline sync:"))
    MESSAGES[case] = message
    print(f"\nBAD INPUT | {case} | exit {status} | {message}")
    assert status == exit_status, err
    for fix in fixes:
        assert fix in message, message
    return message


def assert_untouched(env, committed) -> None:
    assert snapshot(Path(env[cfg.ENV_DUCKDB_PATH])) == committed[2]


@pytest.mark.parametrize(
    ("case", "variable", "value", "fixes"),
    [
        ("wrong API token", cfg.ENV_API_TOKEN, "not-the-token", ["401 Unauthorized", "ZENDESK_API_TOKEN"]),
        ("wrong email", cfg.ENV_EMAIL, "someone.else@example.com", ["401 Unauthorized", "ZENDESK_EMAIL"]),
        ("expired or wrong OAuth token", cfg.ENV_OAUTH_TOKEN, "expired-token", ["401", "in ZENDESK_OAUTH_TOKEN"]),
    ],
)
def test_rejected_credentials(case, variable, value, fixes, env, committed, capsys, monkeypatch):
    sync_fails(capsys, monkeypatch, case, 1, *fixes, **{variable: value})
    assert_untouched(env, committed)


def test_a_refresh_token_zendesk_refuses_names_the_variables(env, committed, capsys, monkeypatch):
    refresh = {
        cfg.ENV_OAUTH_CLIENT_ID: "zd-pipeline",
        cfg.ENV_OAUTH_CLIENT_SECRET: "a-secret-4e1f",
        cfg.ENV_OAUTH_REFRESH_TOKEN: "a-used-refresh-token-77c2",
    }
    message = sync_fails(capsys, monkeypatch, "refresh token refused", 1, "ZENDESK_OAUTH_REFRESH_TOKEN", **refresh)
    assert "a-secret-4e1f" not in message and "a-used-refresh-token-77c2" not in message
    assert_untouched(env, committed)


def test_a_maintenance_window_beyond_the_bound_fails_at_once_naming_it(served, env, committed, capsys, monkeypatch):
    served[0].start_maintenance(3600)
    try:
        sync_fails(
            capsys, monkeypatch, "maintenance (503 + Retry-After) beyond the bound", 1, "ZENDESK_MAX_WAIT_MINUTES"
        )
    finally:
        served[0].start_maintenance(0)
    assert_untouched(env, committed)


@pytest.mark.parametrize(
    ("case", "variable", "value", "fixes"),
    [
        ("start date in the future", cfg.ENV_START_DATE, "2999-01-01", ["in the future", "on or before today"]),
        ("start date malformed", cfg.ENV_START_DATE, "01/02/2024", ["is not a date", "YYYY-MM-DD"]),
        ("subdomain given as a host name", cfg.ENV_SUBDOMAIN, "acme.zendesk.com", ["first label", "'acme'"]),
        ("base URL without a scheme", cfg.ENV_BASE_URL, "acme.zendesk.com", ["https://acme.zendesk.com"]),
        ("email that is not an address", cfg.ENV_EMAIL, "admin", ["not an email address"]),
        ("API token unset", cfg.ENV_API_TOKEN, "", ["ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN"]),
        ("maximum wait malformed", cfg.ENV_MAX_WAIT_MINUTES, "soon", ["ZENDESK_MAX_WAIT_MINUTES='soon'", "minutes"]),
        ("OAuth client id alone", cfg.ENV_OAUTH_CLIENT_ID, "zd", ["ZENDESK_OAUTH_CLIENT_SECRET, ZENDESK_OAUTH_REF"]),
        ("DuckDB path under a file", cfg.ENV_DUCKDB_PATH, "{tmp}/a-file/zendesk.duckdb", ["is a file, not a folder"]),
        ("DuckDB path is a folder", cfg.ENV_DUCKDB_PATH, "{tmp}", ["is a directory: point it at a file"]),
    ],
)
def test_refused_before_anything_runs(case, variable, value, fixes, env, committed, capsys, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    if variable == cfg.ENV_SUBDOMAIN:
        monkeypatch.delenv(cfg.ENV_BASE_URL)
    sync_fails(capsys, monkeypatch, case, 2, *fixes, **{variable: value.format(tmp=tmp_path)})
    assert_untouched(env, committed)


def test_a_file_that_is_not_duckdb_is_left_untouched(env, capsys, monkeypatch, tmp_path):
    other = tmp_path / "notes.duckdb"
    other.write_bytes(b"my notes, not a database\n" * 100)
    message = sync_fails(
        capsys,
        monkeypatch,
        "a file at the DuckDB path that is not DuckDB",
        1,
        "not a DuckDB database",
        "ZD_DUCKDB_PATH",
        **{cfg.ENV_DUCKDB_PATH: str(other)},
    )
    assert "left untouched" in message
    assert other.read_bytes() == b"my notes, not a database\n" * 100


@pytest.mark.parametrize("per_page", [0, 5000])
def test_per_page_out_of_range(per_page, env, committed):
    """``per_page`` is a field of the Zendesk resource (launchpad or code), not an environment variable."""
    outcome = run_sync(env, [STREAM], resource_config={"zendesk": {"per_page": per_page}})
    assert not outcome.success
    assert f"per_page={per_page} is out of range" in outcome.failure and "1 to 1000" in outcome.failure
    MESSAGES[f"per_page={per_page}"] = outcome.failure
    print(f"\nBAD INPUT | per_page={per_page} | run failed | {outcome.failure}")
    assert_untouched(env, committed)


def _zendesk_404(request, base_url):
    """What an account that does not exist answers (an HTML 404, as Zendesk's front door does)."""
    return html_reply(404)


def _not_zendesk(request, base_url):
    return html_reply(200)


def _records_without_id(request, base_url):
    records = [{"name": "Acme", "updated_at": "2026-11-01T10:00:00Z"}]
    return json_reply({"organizations": records, "count": 1, "end_time": 1, "end_of_stream": True})


def _not_an_export_page(request, base_url):
    return json_reply({"results": [{"id": 1}], "facets": None, "next_page": None, "count": 1})


@pytest.mark.parametrize(
    ("case", "handler", "fixes"),
    [
        ("unknown account (subdomain)", _zendesk_404, ["404 Not Found", "ZENDESK_SUBDOMAIN"]),
        ("base URL that is not Zendesk (HTML page)", _not_zendesk, ["not the Zendesk API", "ZENDESK_SUBDOMAIN"]),
        ("page with records missing id", _records_without_id, ["record #0 has no usable 'id'"]),
        ("valid JSON that is not an export page", _not_an_export_page, ["response key 'organizations' is missing"]),
    ],
)
def test_a_server_that_is_not_a_zendesk_export(case, handler, fixes, env, committed, capsys, monkeypatch):
    with listening(handler) as other:
        sync_fails(capsys, monkeypatch, case, 1, *fixes, **{cfg.ENV_BASE_URL: other.base_url})
    assert_untouched(env, committed)
