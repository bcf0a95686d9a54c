from datetime import date

import pytest

from zd_pipeline.settings import Settings, SettingsError, parse_start_date


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.requests_per_minute == 10
    assert settings.schema == "zendesk"
    assert settings.duckdb_path.name == "zendesk.duckdb"


def test_secrets_are_not_in_repr() -> None:
    settings = Settings.from_env({"ZENDESK_API_TOKEN": "s3cr3t-token", "ZENDESK_OAUTH_TOKEN": "oauth-s3cr3t"})
    assert settings.api_token == "s3cr3t-token"
    assert "s3cr3t" not in repr(settings)


def test_future_start_date_names_the_fix() -> None:
    with pytest.raises(SettingsError, match="ZENDESK_START_DATE=2030-01-01 is in the future"):
        parse_start_date("2030-01-01", today=date(2026, 11, 23))


def test_malformed_start_date_and_rate() -> None:
    with pytest.raises(SettingsError, match="YYYY-MM-DD"):
        Settings.from_env({"ZENDESK_START_DATE": "23/11/2026"})
    with pytest.raises(SettingsError, match="ZENDESK_REQUESTS_PER_MINUTE"):
        Settings.from_env({"ZENDESK_REQUESTS_PER_MINUTE": "ten"})


def test_the_duckdb_memory_limit_is_parsed_in_duckdbs_syntax_and_a_bad_one_is_named() -> None:
    from zd_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, ENV_DUCKDB_MEMORY_LIMIT, Settings, SettingsError

    assert Settings.from_env({}).duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT
    assert Settings.from_env({ENV_DUCKDB_MEMORY_LIMIT: " 2gb "}).duckdb_memory_limit == "2GB"
    assert Settings.from_env({ENV_DUCKDB_MEMORY_LIMIT: "1.5GiB"}).duckdb_memory_limit == "1.5GiB"
    for bad in ("lots", "0MB", "512"):
        with pytest.raises(SettingsError, match=f"{ENV_DUCKDB_MEMORY_LIMIT}=.*e.g. 512MB"):
            Settings.from_env({ENV_DUCKDB_MEMORY_LIMIT: bad})


def test_the_default_file_is_named_after_the_account() -> None:
    from zd_pipeline.settings import DATA_FOLDER, Settings

    assert Settings.from_env({"ZD_SCHEMA": "acme"}).duckdb_path == DATA_FOLDER / "acme.duckdb"
    assert Settings.from_env({}).duckdb_path == DATA_FOLDER / "zendesk.duckdb"
