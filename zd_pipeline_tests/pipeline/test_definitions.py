"""The code location loads from the environment alone, with every stream asset, the sensor and the schedule."""

import dagster as dg
import pytest

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.resources import ZendeskResource


def test_definitions_have_every_stream_the_sensor_and_the_schedule() -> None:
    defs = build_definitions({"ZD_SCHEMA": "acme", "ZENDESK_START_DATE": "2026-11-01"})
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {f"acme/{name}" for name in STREAMS} <= keys
    assert defs.resolve_sensor_def("acme_sync_sensor").default_status is dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("acme_daily_resync").cron_schedule == "15 0 * * *"
    job = defs.resolve_job_def("acme_sync")
    assert job.partitions_def.get_first_partition_key() == "2026-11-01"
    assert job.tags["zd/account"] == "acme"
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == {f"acme/{n}" for n in STREAMS}
    checks = {(key.asset_key.path[-1], key.name) for key in job.asset_layer.asset_graph.asset_check_keys}
    assert {(name, "unique_non_null_ids") for name in STREAMS} <= checks
    assert defs.resolve_sensor_def("analytics_automation_sensor").default_status is dg.DefaultSensorStatus.RUNNING
    analytics = {key.path[0] for key in defs.resolve_all_asset_keys()} - {"acme"}
    assert analytics == {"analytics"}


def test_secrets_are_bound_as_env_vars_never_as_values() -> None:
    env = {
        "ZENDESK_SUBDOMAIN": "acme",
        "ZENDESK_EMAIL": "admin@acme.test",
        "ZENDESK_API_TOKEN": "tok-should-not-leak",
    }
    resource = build_definitions(env).resources["zendesk"]
    assert isinstance(resource, ZendeskResource)
    assert "tok-should-not-leak" not in repr(resource)
    assert "tok-should-not-leak" not in str(resource._get_non_default_public_field_values())


def test_without_a_location_the_resource_points_at_the_local_simulator() -> None:
    resource = build_definitions({}).resources["zendesk"]
    assert resource.base_url == "http://127.0.0.1:8765"
    assert resource.client_config().origin.startswith("http://127.0.0.1:8765")


def test_a_run_config_without_credentials_takes_the_environments_never_the_demo_ones(monkeypatch) -> None:
    """The fill-in for a launchpad override: the environment's location and secrets, the simulator's demo
    credentials only with the simulator's default location."""
    for name in ("ZENDESK_BASE_URL", "ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZENDESK_REQUESTS_PER_MINUTE", "7")
    demo = ZendeskResource(per_page=10).client_config()
    assert demo.base_url is not None and demo.requests_per_minute == 7 and demo.per_page == 10
    named = ZendeskResource(subdomain="acme")
    with pytest.raises(ValueError, match="no Zendesk credentials"):  # not the demo credentials, sent to acme
        named.client_config()
    monkeypatch.setenv("ZENDESK_OAUTH_TOKEN", "oauth-from-env")
    assert named.client_config().subdomain == "acme" and "OAuth" in type(named.client_config().auth).__name__
