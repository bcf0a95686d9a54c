"""The accounts file: what it accepts, what it refuses (naming the fix), and the definitions built from it."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline import settings as cfg
from zd_pipeline.accounts import check_account, load_accounts
from zd_pipeline.catalogue import LISTS, STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.resources import ZendeskResource

TWO_ACCOUNTS = """
accounts:
  - name: acme
    subdomain: acme
    email_env: ACME_EMAIL
    api_token_env: ACME_API_TOKEN
    requests_per_minute: 30
    start_date: 2026-11-01
  - name: globex
    base_url: http://127.0.0.1:9999/
    oauth_token_env: GLOBEX_OAUTH
    duckdb_path: warehouse/globex.duckdb
    sensor_interval_seconds: 60
    freshness_hours: 0.5
    duckdb_memory_limit: 512MB
    reference_cron: "*/20 * * * *"
    list_requests_per_minute: 5
"""


def _write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    return {cfg.ENV_ACCOUNTS_FILE: str(path)}


def test_two_accounts_with_their_own_settings_and_defaults(tmp_path: Path) -> None:
    acme, globex = load_accounts(_write(tmp_path, TWO_ACCOUNTS))
    assert (acme.name, acme.subdomain, acme.base_url) == ("acme", "acme", None)
    assert acme.secret_variables == {"email": "ACME_EMAIL", "api_token": "ACME_API_TOKEN"}
    assert (acme.requests_per_minute, acme.start_date) == (30, date(2026, 11, 1))
    assert acme.duckdb_path == cfg.DATA_FOLDER / "acme.duckdb"  # a file of its own
    assert acme.duckdb_memory_limit == cfg.DEFAULT_DUCKDB_MEMORY_LIMIT
    assert acme.sensor_interval_seconds == cfg.DEFAULT_SENSOR_INTERVAL_SECONDS
    assert globex.base_url == "http://127.0.0.1:9999"
    assert globex.secret_variables == {"oauth_token": "GLOBEX_OAUTH"}
    assert globex.duckdb_path == tmp_path / "warehouse" / "globex.duckdb"  # relative to the file's folder
    assert (globex.requests_per_minute, globex.sensor_interval_seconds, globex.freshness_hours) == (10, 60, 0.5)
    assert (acme.reference_cron, acme.list_requests_per_minute) == (
        cfg.DEFAULT_REFERENCE_CRON,
        cfg.DEFAULT_LIST_REQUESTS_PER_MINUTE,
    )
    assert (globex.reference_cron, globex.list_requests_per_minute) == ("*/20 * * * *", 5)


def test_an_unthrottled_account_leaves_its_lists_unthrottled_unless_told(tmp_path: Path) -> None:
    entry = "  - name: {0}\n    subdomain: {0}\n    oauth_token_env: T\n    requests_per_minute: 0\n"
    text = "accounts:\n" + entry.format("acme") + entry.format("globex") + "    list_requests_per_minute: 20\n"
    acme, globex = load_accounts(_write(tmp_path, text))
    assert (acme.list_requests_per_minute, globex.list_requests_per_minute) == (0, 20)
    assert acme.settings({}).list_requests_per_minute == 0 and globex.settings({}).reference_cron == "0 * * * *"


def test_expiring_oauth_tokens_name_their_three_variables(tmp_path: Path) -> None:
    entry = "    oauth_client_id_env: C\n    oauth_client_secret_env: S\n    oauth_refresh_token_env: R\n"
    (account,) = load_accounts(_write(tmp_path, f"accounts:\n  - name: acme\n    subdomain: acme\n{entry}"))
    assert account.secret_variables == {"oauth_client_id": "C", "oauth_client_secret": "S", "oauth_refresh_token": "R"}
    with pytest.raises(cfg.SettingsError, match="account 'acme': S is not set"):
        check_account(account, {"C": "id", "R": "refresh"})


def test_without_the_file_the_environment_is_the_one_account() -> None:
    (account,) = load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZD_SCHEMA": "support"})
    assert (account.name, account.subdomain, account.from_file) == ("support", "acme", False)
    assert account.scoped("zendesk") == "zendesk" and account.analytics_prefix == ()


@pytest.mark.parametrize("key", ["api_token", "oauth_token", "email", "password", "client_secret"])
def test_a_secret_in_the_file_is_refused_naming_the_key_and_the_fix(tmp_path: Path, key: str) -> None:
    secret = "zdtok-4b1e9c2f7a3d5e8b"
    env = _write(tmp_path, f"accounts:\n  - name: acme\n    subdomain: acme\n    {key}: {secret}\n")
    with pytest.raises(cfg.SettingsError) as refused:
        load_accounts(env)
    message = refused.value.args[0]
    assert f"account 'acme': '{key}' would put a secret in the accounts file" in message
    assert f"'{key}_env: ACME_ZENDESK_{key.upper()}'" in message
    assert secret not in message


def test_a_secret_given_as_a_variable_name_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = "zdtok-4b1e9c2f-7a3d"  # the token pasted where its variable's name belongs
    env = _write(tmp_path, f"accounts:\n  - name: acme\n    subdomain: acme\n    oauth_token_env: {secret}\n")
    with pytest.raises(cfg.SettingsError, match="oauth_token_env must be the NAME of an environment variable") as e:
        load_accounts(env)
    assert secret not in e.value.args[0]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("- name: Acme-EU\n    subdomain: acme", "name 'Acme-EU' cannot name an account"),
        ("- name: analytics\n    subdomain: acme", "name 'analytics' cannot name an account"),
        ("- name: acme\n    oauth_token_env: T", "give exactly one of 'subdomain'"),
        ("- name: acme\n    subdomain: acme\n    base_url: http://x\n    oauth_token_env: T", "exactly one of"),
        ("- name: acme\n    subdomain: acme.zendesk.com\n    oauth_token_env: T", "is not a Zendesk subdomain"),
        ("- name: acme\n    subdomain: acme", "no credentials: name the variables"),
        ("- name: acme\n    subdomain: acme\n    email_env: E", "no credentials"),
        ("- name: acme\n    subdomain: acme\n    oauth_client_id_env: C", "need all three of oauth_client_id_env"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    duckdb_memory_limit: lots", "memory_limit"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    rate: 5", "unknown setting 'rate'"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    start_date: 2999-01-01", "in the future"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    requests_per_minute: -1", "whole number"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    list_requests_per_minute: x",
         "account 'acme': list_requests_per_minute must be a whole number"),
        ("- name: acme\n    subdomain: acme\n    oauth_token_env: T\n    reference_cron: hourly",
         "account 'acme': reference_cron 'hourly' is not a cron expression"),
        ("- name: a\n    subdomain: a\n    oauth_token_env: T\n  - name: a\n    subdomain: b\n    oauth_token_env: U",
         "two accounts are named 'a'"),
        ("- name: a\n    subdomain: a\n    oauth_token_env: T\n    duckdb_path: x.duckdb\n"
         "  - name: b\n    subdomain: b\n    oauth_token_env: U\n    duckdb_path: x.duckdb", "share the DuckDB file"),
    ],
)  # fmt: skip
def test_bad_entries_name_the_account_and_the_fix(tmp_path: Path, entries: str, expected: str) -> None:
    with pytest.raises(cfg.SettingsError, match=expected):
        load_accounts(_write(tmp_path, f"accounts:\n  {entries}\n"))


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(cfg.SettingsError, match=r"ZD_ACCOUNTS_FILE=.*cannot be read"):
        load_accounts({cfg.ENV_ACCOUNTS_FILE: str(tmp_path / "nope.yaml")})
    with pytest.raises(cfg.SettingsError, match=r"is not valid YAML at line \d+: fix"):
        load_accounts(_write(tmp_path, "accounts:\n  - name: [acme\n"))
    with pytest.raises(cfg.SettingsError, match="non-empty list under 'accounts:'"):
        load_accounts(_write(tmp_path, "- name: acme\n"))


def test_a_sync_checks_the_accounts_variables_by_name(tmp_path: Path) -> None:
    acme, globex = load_accounts(_write(tmp_path, TWO_ACCOUNTS))
    with pytest.raises(cfg.SettingsError, match="account 'acme': ACME_API_TOKEN is not set"):
        check_account(acme, {"ACME_EMAIL": "agent@acme.test"})
    with pytest.raises(cfg.SettingsError, match="account 'acme': ACME_EMAIL is not an email address"):
        check_account(acme, {"ACME_EMAIL": "agent", "ACME_API_TOKEN": "t"})
    check_account(globex, {"GLOBEX_OAUTH": "t"})


def test_definitions_give_each_account_its_own_assets_checks_jobs_sensors_schedules(tmp_path: Path) -> None:
    defs = build_definitions(_write(tmp_path, TWO_ACCOUNTS))
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    for account in ("acme", "globex"):
        assert {f"{account}/{name}" for name in STREAMS} <= keys
        analytics = {k for k in keys if k.startswith(f"{account}/analytics/")}
        assert analytics, keys
        assert {graph.get(dg.AssetKey.from_user_string(k)).group_name for k in analytics} == {f"{account}_analytics"}
        assert graph.get(dg.AssetKey([account, "tickets"])).group_name == account
        job = defs.resolve_job_def(f"{account}_sync")
        assert job.tags["zd/account"] == account
        assert {k.path[0] for k in job.asset_layer.executable_asset_keys} == {account}
        checks = {(k.asset_key.path[0], k.name) for k in job.asset_layer.asset_graph.asset_check_keys}
        assert (account, "unique_non_null_ids") in checks
        assert defs.resolve_sensor_def(f"{account}_sync_sensor").default_status is dg.DefaultSensorStatus.RUNNING
        assert defs.resolve_sensor_def(f"{account}_analytics_automation_sensor") is not None
        assert defs.resolve_schedule_def(f"{account}_daily_resync").cron_schedule == "15 0 * * *"
        assert defs.resolve_job_def(f"{account}_analytics_refresh") is not None
        # the reference tables: the account's own assets, job (tagged, only its lists), checks and schedule
        references = {dg.AssetKey([account, name]) for name in LISTS}
        assert {graph.get(key).group_name for key in references} == {account}
        reference_job = defs.resolve_job_def(f"{account}_reference_refresh")
        assert reference_job.tags["zd/account"] == account
        assert set(reference_job.asset_layer.executable_asset_keys) == references
        reference_checks = set(reference_job.asset_layer.asset_graph.asset_check_keys)
        assert dg.AssetCheckKey(dg.AssetKey([account, "groups"]), "unique_non_null_ids") in reference_checks
        assert {k.asset_key.path[0] for k in reference_checks} == {account}
    assert defs.resolve_schedule_def("acme_reference_refresh_schedule").cron_schedule == cfg.DEFAULT_REFERENCE_CRON
    assert defs.resolve_schedule_def("globex_reference_refresh_schedule").cron_schedule == "*/20 * * * *"
    assert keys == {k for k in keys if k.split("/")[0] in ("acme", "globex")}  # nothing unprefixed
    assert defs.resolve_job_def("acme_sync").partitions_def.get_first_partition_key() == "2026-11-01"
    acme, globex = defs.resources["acme_zendesk"], defs.resources["globex_zendesk"]
    assert isinstance(acme, ZendeskResource) and acme.subdomain == "acme" and acme.requests_per_minute == 30
    assert globex.base_url == "http://127.0.0.1:9999" and globex.requests_per_minute == 10
    assert isinstance(acme.api_token, dg.EnvVar) and acme.api_token.env_var_name == "ACME_API_TOKEN"
    assert isinstance(globex.oauth_token, dg.EnvVar) and globex.oauth_token.env_var_name == "GLOBEX_OAUTH"
    assert defs.resources["globex_warehouse"].path == str(tmp_path / "warehouse" / "globex.duckdb")
    assert defs.resources["globex_warehouse"].memory_limit == "512MB"


def test_the_definitions_follow_the_file_when_they_load_again(tmp_path: Path) -> None:
    """What a reload of the code location does: build the definitions from the file as it is now."""
    env = _write(tmp_path, TWO_ACCOUNTS)
    assert {s.name for s in build_definitions(env).sensors} >= {"acme_sync_sensor", "globex_sync_sensor"}
    Path(env[cfg.ENV_ACCOUNTS_FILE]).write_text(
        TWO_ACCOUNTS.split("  - name: globex")[0]
        + "  - name: initech\n    subdomain: initech\n    oauth_token_env: I\n"
    )
    sensors = {s.name for s in build_definitions(env).sensors if s.name.endswith("_sync_sensor")}
    assert sensors == {"acme_sync_sensor", "initech_sync_sensor"}


def test_a_launchpad_override_never_fills_in_another_accounts_credentials(monkeypatch, tmp_path: Path) -> None:
    """With an accounts file, a run config that replaced a resource's bindings cannot borrow ZENDESK_*."""
    monkeypatch.setenv(cfg.ENV_ACCOUNTS_FILE, _write(tmp_path, TWO_ACCOUNTS)[cfg.ENV_ACCOUNTS_FILE])
    monkeypatch.setenv(cfg.ENV_BASE_URL, "http://127.0.0.1:8765")
    monkeypatch.setenv(cfg.ENV_OAUTH_TOKEN, "the-single-accounts-token")
    with pytest.raises(ValueError, match="cannot be filled in from the environment"):
        ZendeskResource(per_page=10).client_config()
    complete = ZendeskResource(subdomain="acme", oauth_token="t").client_config()
    assert complete.requests_per_minute == cfg.DEFAULT_REQUESTS_PER_MINUTE


def test_the_deployment_example_file_loads_with_the_settings_it_shows() -> None:
    path = cfg.PROJECT_ROOT / "deploy" / "accounts.example.yaml"
    acme, globex = load_accounts({cfg.ENV_ACCOUNTS_FILE: str(path)})
    assert (acme.name, globex.name) == ("acme", "globex")
    assert globex.requests_per_minute == 30 and globex.list_requests_per_minute == 120
    assert globex.reference_cron == "30 */6 * * *" and acme.start_date == date(2024, 1, 1)
    assert acme.secret_variables == {"email": "ACME_ZENDESK_EMAIL", "api_token": "ACME_ZENDESK_API_TOKEN"}
