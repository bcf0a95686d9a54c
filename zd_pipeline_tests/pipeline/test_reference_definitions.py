"""The reference tables in the code location: one unpartitioned asset each in the account's group, their job, the
schedule (hourly unless ZD_REFERENCE_CRON says otherwise), their checks, and the analytics that read them."""

import dagster as dg
import pytest

from zd_pipeline.catalogue import LISTS, STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.settings import SettingsError


def test_every_reference_table_is_an_unpartitioned_asset_of_the_account_with_its_job_schedule_and_checks() -> None:
    defs = build_definitions({"ZD_SCHEMA": "acme", "ZENDESK_START_DATE": "2026-11-01"})
    graph = defs.resolve_asset_graph()
    for name in LISTS:
        node = graph.get(dg.AssetKey(["acme", name]))
        assert node.group_name == "acme" and node.partitions_def is None
        assert node.metadata["dagster/table_name"] == f"acme.{name}"
    job = defs.resolve_job_def("acme_reference_refresh")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {f"acme/{n}" for n in LISTS}
    assert job.partitions_def is None and job.tags["zd/account"] == "acme"
    checks = {(key.asset_key.path[-1], key.name) for key in job.asset_layer.asset_graph.asset_check_keys}
    assert {(name, "unique_non_null_ids") for name in LISTS} <= checks
    schedule = defs.resolve_schedule_def("acme_reference_refresh_schedule")
    assert schedule.cron_schedule == "0 * * * *" and schedule.default_status is dg.DefaultScheduleStatus.RUNNING
    sync_keys = defs.resolve_job_def("acme_sync").asset_layer.executable_asset_keys
    assert {k.path[-1] for k in sync_keys} == set(STREAMS)  # the partitioned sync job holds only the exports
    named = graph.get(dg.AssetKey(["analytics", "workload_by_group_daily"]))
    assert dg.AssetKey(["acme", "groups"]) in named.parent_keys


def test_the_refresh_schedule_is_configurable_and_a_bad_one_is_named() -> None:
    defs = build_definitions({"ZD_REFERENCE_CRON": "*/15 * * * *"})
    assert defs.resolve_schedule_def("zendesk_reference_refresh_schedule").cron_schedule == "*/15 * * * *"
    with pytest.raises(SettingsError, match="ZD_REFERENCE_CRON"):
        build_definitions({"ZD_REFERENCE_CRON": "hourly"})
