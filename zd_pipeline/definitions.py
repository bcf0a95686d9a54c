"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs`` from here.

Everything is built from the environment once (``zd_pipeline.settings``); the account's schema name is the asset
key prefix, group, job name and DuckDB schema, so a second account is a second call of :func:`build_definitions`'
parts with its own schema and resource keys. The graph reads as a story: raw ``zendesk`` tables (daily
partitioned, synced by the sensor, checked after every sync) feed the ``analytics`` tables, which declarative
automation rebuilds after each sync.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.pipeline.analytics_assets import build_analytics_assets, build_analytics_automation_sensor
from zd_pipeline.pipeline.assets import build_stream_assets
from zd_pipeline.pipeline.checks import build_raw_checks
from zd_pipeline.pipeline.event_batching import default_event_batching
from zd_pipeline.pipeline.jobs import build_analytics_job, build_sync_job
from zd_pipeline.pipeline.partitions import daily_partitions
from zd_pipeline.pipeline.resources import warehouse_resource_from_env, zendesk_resource_from_env
from zd_pipeline.pipeline.schedules import build_daily_schedule
from zd_pipeline.pipeline.sensors import build_sync_sensor
from zd_pipeline.settings import Settings


def build_definitions(env: Mapping[str, str] | None = None) -> dg.Definitions:
    env = os.environ if env is None else env
    settings = Settings.from_env(env)
    account = settings.schema
    partitions_def = daily_partitions(settings.start_date)
    raw = build_stream_assets(account, partitions_def)
    sync_job = build_sync_job(raw, account)
    return dg.Definitions(
        assets=[raw, *build_analytics_assets(account)],
        asset_checks=build_raw_checks(account, settings.freshness_hours),
        jobs=[sync_job, build_analytics_job(account=account)],
        sensors=[
            build_sync_sensor(sync_job, account, partitions_def, STREAMS.values(), settings.sensor_interval_seconds),
            build_analytics_automation_sensor(account=account),
        ],
        schedules=[build_daily_schedule(sync_job, account)],
        resources={"zendesk": zendesk_resource_from_env(env), "warehouse": warehouse_resource_from_env(env)},
    )


default_event_batching()  # before any step runs in this process (see the module)
defs = build_definitions()
