"""The sync job of an account: every raw stream asset (a subset per run) plus the checks on their tables.

An explicit job rather than Dagster's implicit global one because the analytics assets are unpartitioned while
the raw streams are daily-partitioned, and one job cannot hold both. Every run of the job carries the tag
``zd/account=<schema>``: ``dagster.yaml`` limits runs to one per value of that tag, so runs of one account
(sensor, schedule, backfills, UI launches alike) queue behind each other instead of fighting over the DuckDB
file, while other accounts' runs proceed.
"""

from __future__ import annotations

import dagster as dg

ACCOUNT_TAG = "zd/account"


ANALYTICS_JOB = "analytics_refresh"


def sync_job_name(account: str) -> str:
    return f"{account}_sync"


def build_sync_job(raw: dg.AssetsDefinition, account: str):
    """What ``dg.define_asset_job`` returns, partitioned like ``raw`` (Dagster infers the partitions from the selected
    assets). Not annotated: Dagster does not export that class by a public name."""
    return dg.define_asset_job(
        sync_job_name(account),
        selection=dg.AssetSelection.assets(raw),
        tags={ACCOUNT_TAG: account},
        description=f"Pages every Zendesk stream of '{account}' into DuckDB, then checks each table.",
    )


def build_analytics_job(analytics_group: str = "analytics", account: str | None = None, name: str = ANALYTICS_JOB):
    """Rebuild every analytics table of ``analytics_group`` now (the automation sensor does it after syncs; the demo
    and UI use this). With ``account``, its runs carry that account's tag: they write the account's warehouse file,
    so they queue behind its syncs like another sync would."""
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.groups(analytics_group),
        tags={ACCOUNT_TAG: account} if account else None,
        description="Rebuilds every analytics table from the raw tables as they are now.",
    )
