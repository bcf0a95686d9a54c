"""The analytics assets: one Dagster asset per table of ``zd_pipeline.analytics``, downstream of the raw streams.

Each asset rebuilds its table in full with one ``CREATE OR REPLACE TABLE ... AS SELECT`` (atomic: readers see the
old table or the new one). Full rather than incremental because late data lands anywhere in time (a backfilled
partition adds audits to old days, an upserted ticket changes yesterday's backlog) and DuckDB rebuilds these tables
from a million tickets in seconds, so an incremental merge would add risk without a payoff.

The UI gets: a description of what the table holds, its column schema, kinds ``duckdb``/``sql``, owners, a link to
the module holding the SQL (``dagster/code_references``) and the SQL itself; each materialization records the row
count, the table's headline figures as numbers (open backlog, median first reply minutes, breach rate, ...) so the
UI plots them over time, and a markdown preview of a few rows.

Automation, and why declarative: every asset carries :data:`ANALYTICS_AUTOMATION`, ``AutomationCondition.eager()``
minus its "no dependency missing" clause, and :func:`build_analytics_automation_sensor` evaluates it (running by
default; Dagster's implicit automation sensor starts stopped). Eager means "rebuild after any input updates, not
while an input is still being written": the tables are current minutes after each sync, with no cron to tune, and a
backfill of many partitions triggers one rebuild when it finishes rather than one per partition. The missing-deps
clause is dropped because the raw assets are daily-partitioned from ``ZENDESK_START_DATE`` and partitions before
the first sync may never be materialized, which would otherwise block the analytics forever. No run config is
needed, so the automation sensor's inability to pass run config costs nothing.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from zd_pipeline.analytics import (
    TABLES,
    AnalyticsTable,
    build_sql,
    build_table,
    headlines,
    markdown_table,
    preview_rows,
    row_count,
)
from zd_pipeline.analytics.model import validate_schema
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.pipeline.resources import WarehouseResource
from zd_pipeline.warehouse import RAW

GROUP = "analytics"
OWNERS = ["team:support-analytics"]
KINDS = {"duckdb", "sql"}
AUTOMATION_SENSOR_NAME = "analytics_automation_sensor"

ANALYTICS_AUTOMATION: dg.AutomationCondition = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .with_label("eager: after any input updates, not while one is in progress")
)


def analytics_asset_key(
    analytics_schema: str, table: AnalyticsTable | str, key_prefix: Sequence[str] = ()
) -> dg.AssetKey:
    name = table if isinstance(table, str) else table.name
    return dg.AssetKey([*key_prefix, analytics_schema, name])


def build_analytics_assets(
    account_schema: str = "zendesk",
    analytics_schema: str = "analytics",
    *,
    warehouse_key: str = "warehouse",
    automation_condition: dg.AutomationCondition | None = ANALYTICS_AUTOMATION,
    key_prefix: Sequence[str] = (),
    group_name: str = GROUP,
) -> list[dg.AssetsDefinition]:
    """One asset per analytics table, keyed ``[analytics_schema, table]``, reading raw ``[account_schema, stream]``.

    The assets need the ``warehouse`` resource (:class:`WarehouseResource`: its ``path`` and ``lock_timeout`` are
    used; the raw schema is ``account_schema``). Pass ``automation_condition=None`` to drive them by hand.
    ``key_prefix`` and ``group_name`` keep several accounts' analytics apart in one code location.
    """
    validate_schema(account_schema)  # a bad name fails here, naming what is allowed, not at run time
    validate_schema(analytics_schema)
    names = _Names(tuple(key_prefix), group_name, warehouse_key)
    return [_asset(table, account_schema, analytics_schema, names, automation_condition) for table in TABLES]


def build_analytics_automation_sensor(
    analytics_schema: str = "analytics",
    minimum_interval_seconds: int = 60,
    account: str | None = None,
    *,
    name: str = AUTOMATION_SENSOR_NAME,
    group_name: str = GROUP,
) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates the automation conditions of the analytics assets in ``group_name``; running by
    default. One per account: each evaluates (and launches runs for) its own account's tables only. With
    ``account``, the runs it requests carry the account's ``zd/account`` tag, so Dagster's run queue keeps them
    from running while a sync of that account writes its warehouse (one writer per file)."""
    return dg.AutomationConditionSensorDefinition(
        name,
        target=dg.AssetSelection.groups(group_name),
        run_tags={ACCOUNT_TAG: account} if account else None,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=minimum_interval_seconds,
        description=f"Rebuilds the {analytics_schema} tables after the raw Zendesk tables they read update.",
    )


@dataclass(frozen=True)
class _Names:
    """Where an account's analytics assets live in the code location: key prefix, group, warehouse resource."""

    key_prefix: tuple[str, ...]
    group_name: str
    warehouse_key: str


def _asset(
    table: AnalyticsTable,
    account: str,
    analytics: str,
    names: _Names,
    automation_condition: dg.AutomationCondition | None,
) -> dg.AssetsDefinition:
    warehouse_key = names.warehouse_key
    deps = [dg.AssetKey([account, stream]) for stream in table.raw_streams]
    deps += [analytics_asset_key(analytics, upstream, names.key_prefix) for upstream in table.upstream]

    @dg.asset(
        key=analytics_asset_key(analytics, table, names.key_prefix),
        description=table.description,
        group_name=names.group_name,
        deps=deps,
        kinds=KINDS,
        owners=OWNERS,
        metadata=definition_metadata(table, account, analytics),
        automation_condition=automation_condition,
        required_resource_keys={warehouse_key},
    )
    def _build(context) -> dg.MaterializeResult:  # AssetExecutionContext (a string hint is refused by Dagster)
        resource: WarehouseResource = getattr(context.resources, warehouse_key)
        warehouse = resource.open()
        started = time.perf_counter()
        with warehouse.writing():  # the working file under the account's lock; published when the block ends
            warehouse.ensure_tables()  # a stream never synced yet reads as an empty table, not an error
            with warehouse.write() as con:
                build_table(con, table, RAW, analytics)
                seconds = time.perf_counter() - started
                metadata = materialization_metadata(con, table, RAW, analytics)
        context.log.info(f"{analytics}.{table.name}: {metadata['row_count']} rows in {seconds:.2f} s")
        return dg.MaterializeResult(metadata={**metadata, "build_seconds": round(seconds, 3)})

    return _build


def definition_metadata(table: AnalyticsTable, account: str, analytics: str) -> dict[str, Any]:
    """What the UI shows before any run: columns, table name, the SQL and a link to the module that holds it."""
    columns = [dg.TableColumn(c.name, c.type, description=c.description or None) for c in table.columns]
    with warnings.catch_warnings():  # code references are beta in Dagster 1.13; we accept that, silence the notice
        warnings.simplefilter("ignore", dg.BetaWarning)
        code = dg.CodeReferencesMetadataValue(
            code_references=[
                dg.LocalFileCodeReference(
                    file_path=str(table.source_file), line_number=_sql_line(table), label=f"SQL of {table.name}"
                )
            ]
        )
    return {
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "dagster/table_name": f"{analytics}.{table.name}",
        "dagster/code_references": code,
        "sql": dg.MetadataValue.md(f"```sql\n{build_sql(table, RAW, analytics)}\n```"),
    }


def materialization_metadata(con: Any, table: AnalyticsTable, account: str, analytics: str) -> dict[str, Any]:
    """Row count, headline figures (numbers, so the UI plots them) and a markdown preview of the built table."""
    rows = row_count(con, analytics, table.name)
    metadata: dict[str, Any] = {"dagster/row_count": rows, "row_count": rows}
    for name, value in headlines(con, table, account, analytics).items():
        if value is not None:  # e.g. a median over no tickets: no point rather than a fake zero
            metadata[name] = dg.MetadataValue.float(value)
    preview = markdown_table(table.column_names, preview_rows(con, table, analytics))
    metadata["preview"] = dg.MetadataValue.md(preview)
    return metadata


def _sql_line(table: AnalyticsTable) -> int:
    """The line of ``table.source_file`` where its SQL starts (1 when it cannot be found)."""
    text = table.source_file.read_text(encoding="utf-8")
    offset = text.find(table.sql)
    return 1 if offset < 0 else text.count("\n", 0, offset) + 1
