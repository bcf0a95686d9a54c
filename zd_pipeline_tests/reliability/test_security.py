"""Security end to end: a next-page link naming another host is followed on the configured base only (one leading
outside the export is refused) with nothing ever sent to that host, and after
full runs no credential is found anywhere a sync leaves traces.
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pytest

from zd_pipeline import cli
from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import to_iso
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.simulator import Credentials, Simulator, serve
from zd_pipeline.simulator.oauth import OAuthClient
from zd_pipeline_tests.reliability.kill import PACKAGE_ROOT
from zd_pipeline_tests.reliability.listener import Reply, html_reply, json_reply, listening

EMAIL = "leak-check@example.com"
API_TOKEN = "zdtok-7f3c9a1e5b2d4f60aa81c2e9d7b3f154"  # unique strings: any hit is a leak, never a coincidence
OAUTH_TOKEN = "zdoauth-0c6e2b9d8a4f1e73b5c2a9d6e8f1b407"
WRONG_TOKEN = "zdwrong-9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f21"
OAUTH_CLIENT = OAuthClient("leak-check-client", "zdsecret-5d2e8a1c4b7f9e3a", "zdrefresh-a81f3c5e7b9d2f4a")


# --- links to another host --------------------------------------------------------------------------------------


def _with_foreign_links(foreign: str, follow_path: str | None):
    """A Zendesk look-alike whose pages write their next-page links with ``foreign``'s host (as Zendesk writes the
    account's canonical host behind a proxy): to the export's own path, or to ``follow_path`` when given."""

    def link(path: str, query: str) -> str:
        return f"{foreign}{follow_path or path}?{query}"

    def handler(request, base_url) -> Reply:
        if request.path.endswith("/tickets/cursor.json"):
            if request.query.get("cursor") == ["c2"]:
                return json_reply({"tickets": [], "after_cursor": "c3", "after_url": None, "end_of_stream": True})
            ticket = {"id": 1, "generated_timestamp": 1_790_000_000, "updated_at": "2026-09-21T14:13:20Z"}
            return json_reply(
                {
                    "tickets": [ticket],
                    "after_cursor": "c2",
                    "after_url": link("/api/v2/incremental/tickets/cursor.json", "cursor=c2"),
                    "end_of_stream": False,
                }
            )
        if request.path.endswith("/organizations.json"):
            start = int(request.query["start_time"][0])
            org = {"id": 7, "updated_at": to_iso(start), "name": "Acme"}
            records, end = ([org], False) if start % 2 == 0 else ([], True)
            return json_reply(
                {
                    "organizations": records,
                    "count": len(records),
                    "end_time": start + 1 if records else start,
                    "end_of_stream": end,
                    "next_page": link("/api/v2/incremental/organizations.json", f"start_time={start + 1}"),
                }
            )
        return html_reply(404)

    return handler


def _sync_against(lookalike, monkeypatch, tmp_path, start_date) -> int:
    env = {
        cfg.ENV_BASE_URL: lookalike.base_url,
        cfg.ENV_EMAIL: EMAIL,
        cfg.ENV_API_TOKEN: API_TOKEN,
        cfg.ENV_REQUESTS_PER_MINUTE: "0",
        cfg.ENV_DUCKDB_PATH: str(tmp_path / "zendesk.duckdb"),
        cfg.ENV_START_DATE: start_date,
        cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(cfg.ENV_OAUTH_TOKEN, raising=False)
    return cli.main(["sync", "--streams", "tickets,organizations"])


def test_links_naming_another_host_are_followed_on_the_configured_base_and_nothing_goes_there(
    monkeypatch, capsys, tmp_path, start_date
):
    with (
        listening(lambda request, base_url: json_reply({})) as foreign,
        listening(_with_foreign_links(foreign.base_url, None)) as lookalike,
    ):
        status = _sync_against(lookalike, monkeypatch, tmp_path, start_date)
    assert status == 0, capsys.readouterr().err
    assert any(r.query.get("cursor") == ["c2"] for r in lookalike.received)  # the link was followed, here
    assert foreign.received == []  # the other host got nothing at all, so certainly no Authorization header


def test_a_link_outside_the_export_is_refused_before_any_request_goes_there(monkeypatch, capsys, tmp_path, start_date):
    with listening(lambda request, base_url: json_reply({})) as foreign:
        with listening(_with_foreign_links(foreign.base_url, "/api/v2/users/me.json")) as lookalike:
            status = _sync_against(lookalike, monkeypatch, tmp_path, start_date)
        err = capsys.readouterr().err
    message = next(line for line in err.splitlines() if line.startswith("zd-pipeline sync: failed:"))
    print(f"\nBAD INPUT | a next-page link outside the export | exit {status} | {message}")
    assert status == 1
    assert "leads outside the export being paged" in message and "no request, no credentials sent there" in message
    assert message.count(f"{foreign.base_url}/api/v2/users/me.json") == 2  # cursor and time-based
    assert lookalike.authorization_seen  # the configured host got the credentials, as it should
    assert foreign.received == [] and all("/users/me" not in r.path for r in lookalike.received)
    with duckdb.connect(str(tmp_path / "zendesk.duckdb"), read_only=True) as con:  # the refused pages: not written
        assert con.execute("SELECT count(*) FROM zendesk.tickets").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM zendesk.organizations").fetchone() == (0,)


# --- no credential anywhere -------------------------------------------------------------------------------------


def _needles(auth: str, issued: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every form a credential could take: the raw secrets and the Authorization header values (``issued``: the
    tokens the simulator issued to a refreshing sync)."""
    basic = base64.b64encode(f"{EMAIL}/token:{API_TOKEN}".encode())
    wrong = base64.b64encode(f"{EMAIL}/token:{WRONG_TOKEN}".encode())
    if auth == "api_token":
        return {
            "API token": API_TOKEN.encode(),
            "Basic header": basic,
            "wrong token": WRONG_TOKEN.encode(),
            "wrong token header": wrong,
        }
    if auth == "oauth_refresh":
        secrets = {"client secret": OAUTH_CLIENT.client_secret, "first refresh token": OAUTH_CLIENT.refresh_token}
        return {name: value.encode() for name, value in (*secrets.items(), *(("issued", t) for t in issued))}
    return {"OAuth token": OAUTH_TOKEN.encode()}


def _sync_env(auth: str, base_url: str, tmp_path: Path, start_date: str, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    env.update(
        {
            cfg.ENV_BASE_URL: base_url,
            cfg.ENV_REQUESTS_PER_MINUTE: "0",
            cfg.ENV_DUCKDB_PATH: str(tmp_path / "zendesk.duckdb"),
            cfg.ENV_START_DATE: start_date,
            cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home"),
            "PYTHONPATH": PACKAGE_ROOT,
        }
    )
    if auth == "api_token":
        env.update({cfg.ENV_EMAIL: EMAIL, cfg.ENV_API_TOKEN: token or API_TOKEN})
    elif auth == "oauth_refresh":
        env[cfg.ENV_OAUTH_CLIENT_ID] = OAUTH_CLIENT.client_id
        env[cfg.ENV_OAUTH_CLIENT_SECRET] = OAUTH_CLIENT.client_secret
        env[cfg.ENV_OAUTH_REFRESH_TOKEN] = OAUTH_CLIENT.refresh_token
    else:
        env[cfg.ENV_OAUTH_TOKEN] = token or OAUTH_TOKEN
    return env


def _sync(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "zd_pipeline.cli", "sync", "--streams", "organizations,users"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _instance_texts(home: Path) -> dict[str, bytes]:
    """What Dagster keeps, read through its own API: run config and tags, every event (logs, metadata, check
    results, failures), and the captured compute logs."""
    texts: dict[str, bytes] = {}
    with instance_in(home) as instance:
        runs = instance.get_runs()
        assert runs
        for run in runs:
            texts[f"run {run.run_id[:8]} config+tags"] = json.dumps([run.run_config, run.tags]).encode()
            events = instance.all_logs(run.run_id)
            texts[f"run {run.run_id[:8]} events"] = "\n".join(repr(event) for event in events).encode()
    for path in (home / "storage").rglob("*"):
        if path.is_file() and path.suffix in (".out", ".err", ".complete", ".log", ".txt", ""):
            texts[f"file {path.relative_to(home)}"] = path.read_bytes()
    return texts


def _duckdb_texts(db: Path) -> dict[str, bytes]:
    """Every value of every table as text, and the file's bytes (WAL included)."""
    texts = {f"bytes {p.name}": p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file()}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute("SELECT table_catalog, table_schema, table_name FROM information_schema.tables")
        for catalog, schema, table in tables.fetchall():
            rows = con.execute(f'SELECT * FROM "{catalog}"."{schema}"."{table}"').fetchall()
            texts[f"table {schema}.{table}"] = orjson.dumps(rows, default=str)
    return texts


@pytest.mark.parametrize("auth", ["api_token", "oauth", "oauth_refresh"])
def test_no_credential_in_logs_run_config_metadata_output_or_the_duckdb_file(auth, tmp_path, start_date):
    simulator = Simulator(scale="small", seed=16, credentials=Credentials(EMAIL, API_TOKEN, OAUTH_TOKEN))
    issuer = simulator.enable_oauth_refresh(OAUTH_CLIENT)
    with serve(simulator) as base_url:
        good = _sync(_sync_env(auth, base_url, tmp_path, start_date))
        assert good.returncode == 0, good.stderr
        # A rejected credential must not leak either (it could be a real one, mistyped): once, with API tokens.
        wrong = (
            _sync(_sync_env(auth, base_url, tmp_path, start_date, token=WRONG_TOKEN)) if auth == "api_token" else None
        )
        assert wrong is None or (wrong.returncode == 1 and "401 Unauthorized" in wrong.stderr)
    home = tmp_path / "dagster_home"
    haystacks = {
        "sync stdout": good.stdout.encode(),
        "sync stderr": good.stderr.encode(),
        "failed sync stdout": wrong.stdout.encode() if wrong else b"",
        "failed sync stderr": wrong.stderr.encode() if wrong else b"",
        **_instance_texts(home),
        **{f"file {p.relative_to(home)}": p.read_bytes() for p in home.rglob("*") if p.is_file()},
        **_duckdb_texts(tmp_path / "zendesk.duckdb"),
    }
    # The haystacks are really what we think: the runs' metadata and rows are in them.
    assert any(b"records_fetched" in text for name, text in haystacks.items() if name.startswith("run "))
    assert wrong is None or any(
        b"Couldn't authenticate" in t for name, t in haystacks.items() if name.startswith("run ")
    )
    compute_logs = [text for name, text in haystacks.items() if "compute_logs" in name]
    assert compute_logs and (wrong is None or any(b"401 Unauthorized" in text for text in compute_logs))
    assert any(b"leak-check" in text or b"Acme" in text or b"organizations" in text for text in haystacks.values())
    issued = (*issuer._access, *issuer._refresh)  # the tokens the sync was given (the last ones: still valid)
    assert auth != "oauth_refresh" or (issuer.refreshes >= 1 and issued)
    leaks = [
        f"{needle} in {where}"
        for needle, value in _needles(auth, issued if auth == "oauth_refresh" else ()).items()
        for where, text in haystacks.items()
        if value in text
    ]
    assert leaks == []


def test_dagster_yaml_and_the_docs_never_suggest_secrets_in_run_config(project_root):
    dagster_yaml = (project_root / "dagster.yaml").read_text()
    settings_lines = [line for line in dagster_yaml.splitlines() if not line.lstrip().startswith("#")]
    for word in ("token", "password", "secret", "api_key"):
        assert not any(word in line.lower() for line in settings_lines), word
    readme = (project_root / "README.md").read_text()
    assert "never put them in run config" in readme
    for text in (readme, dagster_yaml):
        for secret_key in ("api_token:", "oauth_token:", "ZENDESK_API_TOKEN:"):
            assert secret_key not in text
