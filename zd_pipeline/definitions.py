"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs`` from here.

Built once per load from the configured accounts (``zd_pipeline.accounts``): the environment's single account, or
every entry of ``ZD_ACCOUNTS_FILE``, so adding or removing an account takes a reload of the code location and no
code change. :func:`build_account_definitions` builds everything one account has and keeps it apart from the
others: the raw tables' asset keys are prefixed by the account's name (also its group), its analytics
tables, reference tables, checks, jobs, sensor, schedules and resources are its own, its client has its own
rate-limit budgets and its warehouse its own DuckDB file. The graph reads as a story per account: raw tables (daily
partitioned, synced by the sensor, checked after every sync) and the reference tables beside them (snapshots of
list endpoints, refreshed on their own schedule) feed the analytics tables, which declarative automation rebuilds
after each sync.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

from zd_pipeline.accounts import Account, load_accounts
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.pipeline.analytics_assets import (
    AUTOMATION_SENSOR_NAME,
    build_analytics_assets,
    build_analytics_automation_sensor,
)
from zd_pipeline.pipeline.assets import build_stream_assets
from zd_pipeline.pipeline.checks import build_raw_checks
from zd_pipeline.pipeline.event_batching import default_event_batching
from zd_pipeline.pipeline.jobs import ANALYTICS_JOB, build_analytics_job, build_sync_job
from zd_pipeline.pipeline.partitions import daily_partitions
from zd_pipeline.pipeline.reference_assets import (
    build_reference_assets,
    build_reference_checks,
    build_reference_job,
    build_reference_schedule,
)
from zd_pipeline.pipeline.resources import warehouse_resource_for, zendesk_resource_for
from zd_pipeline.pipeline.schedules import build_daily_schedule
from zd_pipeline.pipeline.sensors import build_sync_sensor


def build_account_definitions(account: Account, env: Mapping[str, str]) -> dg.Definitions:
    """Everything one account has, under names of its own (see :meth:`Account.scoped`)."""
    name, zendesk_key, warehouse_key = account.name, account.scoped("zendesk"), account.scoped("warehouse")
    partitions_def = daily_partitions(account.start_date)
    raw = build_stream_assets(name, partitions_def, zendesk_key=zendesk_key, warehouse_key=warehouse_key)
    sync_job = build_sync_job(raw, name)
    reference = build_reference_assets(
        name,
        zendesk_key=zendesk_key,
        warehouse_key=warehouse_key,
        requests_per_minute=account.list_requests_per_minute,
    )
    reference_job = build_reference_job(reference, name)
    analytics_group = account.scoped("analytics")
    analytics = build_analytics_assets(
        name, warehouse_key=warehouse_key, key_prefix=account.analytics_prefix, group_name=analytics_group
    )
    return dg.Definitions(
        assets=[raw, reference, *analytics],
        asset_checks=[
            *build_raw_checks(name, account.freshness_hours, warehouse_key=warehouse_key),
            *build_reference_checks(name, warehouse_key=warehouse_key),
        ],
        jobs=[sync_job, reference_job, build_analytics_job(analytics_group, name, account.scoped(ANALYTICS_JOB))],
        sensors=[
            build_sync_sensor(sync_job, name, partitions_def, STREAMS.values(), account.sensor_interval_seconds),
            build_analytics_automation_sensor(
                account=name, name=account.scoped(AUTOMATION_SENSOR_NAME), group_name=analytics_group
            ),
        ],
        schedules=[
            build_daily_schedule(sync_job, name),
            build_reference_schedule(reference_job, account.reference_cron),
        ],
        resources={zendesk_key: zendesk_resource_for(account, env), warehouse_key: warehouse_resource_for(account)},
    )


def build_definitions(env: Mapping[str, str] | None = None) -> dg.Definitions:
    env = os.environ if env is None else env
    return dg.Definitions.merge(*(build_account_definitions(account, env) for account in load_accounts(env)))


default_event_batching()  # before any step runs in this process (see the module)
defs = build_definitions()
