"""The safety net: every day, re-sync yesterday's partition of every stream from its start.

The sensor follows high-water marks; this schedule re-reads a whole closed day, so anything a sensor run could
have missed (a record whose timestamp landed in the lag window, a stopped sensor) is applied within a day.
Re-reading is idempotent (newest-wins upserts, insert-or-ignore events).
"""

# No `from __future__ import annotations` here: Dagster reads the decorated functions' annotations (config,
# context) at decoration time and cannot resolve string annotations.

from datetime import timedelta

import dagster as dg

from zd_pipeline.pipeline.jobs import ACCOUNT_TAG


def build_daily_schedule(job, account: str) -> dg.ScheduleDefinition:  # job: jobs.build_sync_job's
    @dg.schedule(
        name=f"{account}_daily_resync",
        cron_schedule="15 0 * * *",
        execution_timezone="UTC",
        target=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Re-syncs yesterday's partition of every '{account}' stream (safety net for the sensor).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
        return dg.RunRequest(
            run_key=f"{account}:daily:{yesterday}",
            partition_key=yesterday,
            tags={ACCOUNT_TAG: account},
        )

    return _schedule
