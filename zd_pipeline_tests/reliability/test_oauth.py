"""Expiring OAuth tokens end to end: the sync refreshes them (before expiry, and once on a 401) against the
simulator's token endpoint, and a static token refused mid-sync fails the run naming the variable, keeps what was
committed, and a rerun with a good token is exact. Secrets are looked for everywhere the run leaves traces.

The client runs on the simulator's clock and throttles itself to a few requests a minute, so a sync spans
simulated minutes and the five-minute tokens expire during it without any sleeping.
"""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from zd_pipeline import settings as cfg
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline.simulator import Credentials
from zd_pipeline.simulator.oauth import OAuthClient
from zd_pipeline_tests.pipeline.truth import assert_matches_truth, table_state, truth_state

FOREVER = 2**40
STREAMS = ["users", "tickets"]
CLIENT = OAuthClient("zd-pipeline-tests", "client-secret-7f3b2a", "refresh-token-first-91ac5e", access_ttl=300)
PER_PAGE = 10


@pytest.fixture
def start_date() -> str:
    return (datetime.now(UTC).date() - timedelta(days=7)).isoformat()


def _oauth_env(pipeline_env, monkeypatch, **values: str) -> dict[str, str]:
    """The pinned environment with OAuth variables instead of the API token."""
    env = {k: v for k, v in pipeline_env.items() if k not in (cfg.ENV_EMAIL, cfg.ENV_API_TOKEN)} | values
    for name in (cfg.ENV_EMAIL, cfg.ENV_API_TOKEN):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return env


def _sync(env, instance):
    return run_sync(env, STREAMS, instance=instance, resource_config={"zendesk": {"per_page": PER_PAGE}})


def _traces(instance, run_id: str, db: Path, text: str) -> str:
    """Everything the run left: its config, its event log, the captured output and logs, the DuckDB file."""
    run = instance.get_run_by_id(run_id)
    logs = "\n".join(repr(entry) for entry in instance.all_logs(run_id))
    return f"{run.run_config!r}\n{run.tags!r}\n{logs}\n{text}\n{db.read_bytes().decode('latin-1')}"


def test_expiring_tokens_are_refreshed_before_expiry_and_on_a_401(
    pipeline_env, simulator, shared_clock, instance, warehouse, start_epoch, monkeypatch, caplog, capsys, duckdb_path
):
    caplog.set_level(logging.DEBUG)
    issuer = simulator.enable_oauth_refresh(CLIENT)
    simulator.credentials = Credentials()  # nothing static: only issued tokens open the API
    issuer.revoke_access_tokens_after(7)  # one token revoked long before it expires
    env = _oauth_env(
        pipeline_env,
        monkeypatch,
        **{
            cfg.ENV_OAUTH_CLIENT_ID: CLIENT.client_id,
            cfg.ENV_OAUTH_CLIENT_SECRET: CLIENT.client_secret,
            cfg.ENV_OAUTH_REFRESH_TOKEN: CLIENT.refresh_token,
            cfg.ENV_REQUESTS_PER_MINUTE: "3",
        },
    )
    started = shared_clock.now()
    outcome = _sync(env, instance)
    assert outcome.success, outcome.failure
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0
    refused = [entry for entry in simulator.request_log if entry[4] == 401]
    minutes = (shared_clock.now() - started) / 60
    # the first token, one after the revocation, and one per five minutes of sync: none was sent expired
    assert minutes > 10 and issuer.refreshes >= 2 + int(minutes // 5) - 1
    assert len(refused) == 1, refused  # only the revoked token was refused; expiry never reached the API
    traces = _traces(instance, outcome.run_id, duckdb_path, caplog.text + str(capsys.readouterr()))
    for secret in (CLIENT.client_secret, CLIENT.refresh_token, *issuer._refresh, *issuer._access):
        assert secret not in traces
    # A rerun in this process, its token expired, refreshes with the rotated refresh token (the first is revoked).
    refreshes = issuer.refreshes
    shared_clock.advance(CLIENT.access_ttl)
    again = _sync(env, instance)
    assert again.success, again.failure
    assert issuer.refreshes > refreshes
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0


def test_a_static_token_refused_mid_sync_fails_naming_it_and_a_rerun_is_exact(
    pipeline_env, simulator, shared_clock, instance, warehouse, start_epoch, monkeypatch, caplog, duckdb_path
):
    expired, fresh = "static-oauth-token-expiring-3c1d", "static-oauth-token-fresh-8e2f"
    simulator.credentials = Credentials(oauth_token=expired)
    simulator.expire_static_oauth_token_after(4)
    env = _oauth_env(pipeline_env, monkeypatch, **{cfg.ENV_OAUTH_TOKEN: expired})
    outcome = _sync(env, instance)
    assert not outcome.success
    assert "401 Unauthorized" in outcome.failure and "ZENDESK_OAUTH_TOKEN" in outcome.failure, outcome.failure
    assert expired not in _traces(instance, outcome.run_id, duckdb_path, caplog.text)
    kept = 0
    for name in STREAMS:  # what was committed before the 401 is the truth, record for record
        got, truth = table_state(warehouse, name), truth_state(simulator, name)
        assert all(got[key] == truth[key] for key in got)
        kept += len(got)
    assert kept > 0
    simulator.credentials = Credentials(oauth_token=fresh)
    simulator.expire_static_oauth_token_after(None)
    env = _oauth_env(env, monkeypatch, **{cfg.ENV_OAUTH_TOKEN: fresh})
    outcome = _sync(env, instance)
    assert outcome.success, outcome.failure
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0
