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
