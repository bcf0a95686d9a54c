"""Launch a sync as a real Dagster run on the configured instance and read back what it did.

Used by ``zd-pipeline sync`` / ``demo`` and the benchmarks. The run executes in this process (so streams page
concurrently in threads and one writer holds the DuckDB file), but it is recorded on ``DagsterInstance.get()``:
the UI, the sensor and the asset checks see it like any other run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from zd_pipeline.catalogue import get_stream
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.assets import SyncConfig, raw_asset_key, sync_op_name
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG, ANALYTICS_JOB, sync_job_name
from zd_pipeline.settings import Settings

QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class SyncOutcome:
    """What a sync run did: per stream its materialization metadata (plain values), and the failure if any."""

    success: bool
    run_id: str
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    failure: str | None = None
    checks: list[tuple[str, str, bool, str]] = field(default_factory=list)


def run_sync(
    env: Mapping[str, str],
    stream_names: Sequence[str],
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
) -> SyncOutcome:
    """Materialize ``stream_names`` over every partition from the start date to today, in one run."""
    settings = Settings.from_env(env)
    defs = build_definitions(env)
    account = settings.schema
    job = defs.resolve_job_def(sync_job_name(account))
    partitions_def = job.partitions_def
    keys = [raw_asset_key(account, get_stream(name)) for name in stream_names]
    run_config = {
        **QUIET_LOGGERS,
        "ops": {sync_op_name(account): {"config": SyncConfig(full_refresh=full_refresh).model_dump()}},
    }
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance or dg.DagsterInstance.get(),
        asset_selection=keys,
        raise_on_error=False,
        tags={
            ACCOUNT_TAG: account,
            "dagster/asset_partition_range_start": partitions_def.get_first_partition_key(),
            "dagster/asset_partition_range_end": partitions_def.get_last_partition_key(),
        },
    )
    return _outcome(result)


def run_analytics(env: Mapping[str, str], instance: dg.DagsterInstance | None = None) -> SyncOutcome:
    """Rebuild every analytics table in one run on the configured instance (what the automation sensor does)."""
    job = build_definitions(env).resolve_job_def(ANALYTICS_JOB)
    result = job.execute_in_process(
        run_config=QUIET_LOGGERS, instance=instance or dg.DagsterInstance.get(), raise_on_error=False
    )
    return _outcome(result)


def _outcome(result: dg.ExecuteInProcessResult) -> SyncOutcome:
    outcome = SyncOutcome(success=result.success, run_id=result.run_id)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        name = materialization.asset_key.path[-1]
        outcome.streams[name] = {k: v.value for k, v in materialization.metadata.items()}
    for event in result.get_asset_check_evaluations():
        outcome.checks.append(
            (event.asset_key.to_user_string(), event.check_name, event.passed, event.description or "")
        )
    failures = [e for e in result.all_events if e.is_step_failure]
    if failures:
        error = failures[0].step_failure_data.error
        outcome.failure = (error.message or "").strip() if error else "the run failed"
    elif not result.success:
        outcome.failure = "the run failed (see the Dagster UI for its logs)"
    return outcome
