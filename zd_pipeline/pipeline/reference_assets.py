"""The reference tables in Dagster: one asset per catalogue list, their job, schedule and checks.

All list assets of an account are specs of one subsettable, unpartitioned multi-asset (each refresh is a
snapshot of a small list, not a day of history), in the account's group beside the raw streams. A run reads each
selected list whole through :class:`~zd_pipeline.client.ListClient` and hands it to
:meth:`Warehouse.apply_snapshot` (upsert, then tombstones for ids a complete snapshot lacks), all inside one
``Warehouse.writing()`` block: one writer lock per run like a sync's, and one publish at its end, so the file users
query gains every refreshed list at once.

Satisfaction ratings are the one ``since`` list: a refresh asks for ratings created since the newest stored one
minus ``RATING_LOOKBACK_SECONDS`` (a rating can still change while its ticket is open), so it is incremental
without daily partitions; the first refresh (or ``full_refresh``) reads them all and is complete. A list whose
plan feature the account lacks (403) is reported as unavailable in its metadata and leaves its table as it was;
any other failure fails the run after the other lists are written.
"""

# No `from __future__ import annotations` here: Dagster reads the decorated functions' annotations at decoration time.

import inspect
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from zd_pipeline.catalogue import LISTS, ListStream
from zd_pipeline.catalogue import lists as lists_module
from zd_pipeline.catalogue.lists import RATING_LOOKBACK_SECONDS
from zd_pipeline.client import ListClient, PermissionDeniedError, ZendeskError
from zd_pipeline.pipeline.checks import NEVER_SHRINKS, UNIQUE_IDS, previous_row_count
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.pipeline.resources import WarehouseResource, ZendeskResource
from zd_pipeline.settings import DEFAULT_REFERENCE_CRON, Settings
from zd_pipeline.warehouse import RAW, Warehouse, WarehouseError

OWNERS = ["team:data-platform"]
LIST_TAG = "zd/list"


class ReferenceConfig(dg.Config):
    """``full_refresh``: read ratings whole too (every list is then a complete snapshot)."""

    full_refresh: bool = Field(default=False)


def reference_op_name(account: str) -> str:
    return f"{account}__reference"


def reference_job_name(account: str) -> str:
    return f"{account}_reference_refresh"


def reference_asset_key(account: str, stream: ListStream) -> dg.AssetKey:
    return dg.AssetKey([account, stream.name])


def _spec(account: str, stream: ListStream) -> dg.AssetSpec:
    columns = [dg.TableColumn(c.name, c.type, description=c.description or None) for c in stream.columns]
    columns.append(dg.TableColumn("_deleted", "BOOLEAN", description="Gone from Zendesk (kept as a tombstone)."))
    return dg.AssetSpec(
        key=reference_asset_key(account, stream),
        description=f"{stream.description}\n\nTable `{account}.{stream.table}`, from `{stream.path}` (a snapshot).",
        group_name=account,
        owners=OWNERS,
        kinds={"zendesk", "duckdb"},
        tags={LIST_TAG: stream.name},
        metadata={
            "dagster/column_schema": dg.TableSchema(columns=columns),
            "dagster/table_name": f"{account}.{stream.table}",
            "dagster/code_references": _catalogue_reference(stream),
            "list_path": stream.path,
        },
    )


def _catalogue_reference(stream: ListStream) -> dg.CodeReferencesMetadataValue:
    """A link to the line of ``catalogue/lists.py`` that names ``stream`` (1 when it cannot be found)."""
    path = Path(inspect.getfile(lists_module))
    text = path.read_text(encoding="utf-8")
    offset = text.find(f'"{stream.name}"')
    line = 1 if offset < 0 else text.count("\n", 0, offset) + 1
    with warnings.catch_warnings():  # code references are beta in Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        reference = dg.LocalFileCodeReference(file_path=str(path), line_number=line, label="catalogue entry")
        return dg.CodeReferencesMetadataValue(code_references=[reference])


def build_reference_assets(
    account: str,
    *,
    lists: Iterable[ListStream] = LISTS.values(),
    zendesk_key: str = "zendesk",
    warehouse_key: str = "warehouse",
    requests_per_minute: int | None = None,
) -> dg.AssetsDefinition:
    """One asset per catalogue list for ``account`` (asset keys ``[account, list]``). ``requests_per_minute`` is
    the list client's budget, the account's own (``None``: ``ZENDESK_LIST_REQUESTS_PER_MINUTE`` of the run's
    environment, as for the single account)."""
    by_key = {reference_asset_key(account, s): s for s in lists}

    @dg.multi_asset(
        name=reference_op_name(account),
        specs=[_spec(account, s) for s in by_key.values()],
        can_subset=True,
        required_resource_keys={zendesk_key, warehouse_key},
    )
    def _refresh(context: dg.AssetExecutionContext, config: ReferenceConfig) -> Iterator[dg.MaterializeResult]:
        zendesk: ZendeskResource = getattr(context.resources, zendesk_key)
        warehouse = getattr(context.resources, warehouse_key).open()
        rate = Settings.from_env().list_requests_per_minute if requests_per_minute is None else requests_per_minute
        failures: dict[str, ZendeskError] = {}
        with ListClient(zendesk.client_config(), requests_per_minute=rate) as client, warehouse.writing():
            warehouse.ensure_tables()  # a list the plan lacks is an empty table, not a missing one
            for key, stream in by_key.items():
                if key not in context.selected_asset_keys:
                    continue
                try:
                    metadata = refresh_list(client, warehouse, stream, full_refresh=config.full_refresh)
                except PermissionDeniedError as error:
                    if stream.feature is None:
                        failures[stream.name] = error
                        continue
                    context.log.info(f"{stream.name}: the account's plan lacks {stream.feature}; table left as it was")
                    metadata = {"available": False, "dagster/row_count": warehouse.row_count(stream.name)}
                except ZendeskError as error:
                    failures[stream.name] = error
                    continue
                yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        if failures:
            detail = "; ".join(f"{name}: {error}" for name, error in failures.items())
            raise dg.Failure(description=f"{len(failures)} reference list(s) failed: {detail}")

    return _refresh


def refresh_list(client: ListClient, warehouse: Warehouse, stream: ListStream, *, full_refresh: bool = False) -> dict:
    """Read one list and apply it as a snapshot; returns the materialization metadata. Call it inside
    ``warehouse.writing()`` to publish several lists at once (alone, it takes the lock and publishes itself)."""
    since = None
    if stream.since and not full_refresh:
        state = warehouse.snapshot_state(stream.name)
        if state is not None and state.since is not None:
            since = max(0, state.since - RATING_LOOKBACK_SECONDS)
    records = client.read_all(stream, since)
    state = warehouse.apply_snapshot(stream, records, complete=since is None)
    tombstones = _tombstones(warehouse, stream)
    return {
        "available": True,
        "records_fetched": len(records),
        "complete_snapshot": state.complete,
        "since_epoch": since if since is not None else -1,
        "tombstones": tombstones,
        "row_count": state.rows,
        "dagster/row_count": state.rows,
    }


def _tombstones(warehouse: Warehouse, stream: ListStream) -> int:
    with warehouse.query() as con:  # the working file: the snapshot just applied, before it is published
        return con.execute(f'SELECT count(*) FROM "{RAW}"."{stream.table}" WHERE _deleted').fetchone()[0]


def build_reference_job(assets: dg.AssetsDefinition, account: str):
    """What ``dg.define_asset_job`` returns (not annotated: Dagster does not export that class by a public name); its
    runs carry the account's tag, so they queue behind the account's syncs."""
    return dg.define_asset_job(
        reference_job_name(account),
        selection=dg.AssetSelection.assets(assets),
        tags={ACCOUNT_TAG: account},
        description=f"Refreshes the reference tables of '{account}' (groups, brands, fields, SLA policies...).",
    )


def build_reference_schedule(job, cron: str = DEFAULT_REFERENCE_CRON) -> dg.ScheduleDefinition:  # job: above
    return dg.ScheduleDefinition(
        name=f"{job.name}_schedule",
        cron_schedule=cron,
        execution_timezone="UTC",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refreshes the reference tables ({cron}, UTC; ZD_REFERENCE_CRON).",
    )


def build_reference_checks(
    account: str, *, lists: Iterable[ListStream] = LISTS.values(), warehouse_key: str = "warehouse"
) -> list[dg.AssetChecksDefinition]:
    """Per list: ``unique_non_null_ids`` and ``row_count_never_shrinks`` (the raw streams' checks that apply:
    a snapshot table has no high-water mark to be fresh by)."""
    return [_list_checks(account, s, warehouse_key) for s in lists]


def _list_checks(account: str, stream: ListStream, warehouse_key: str) -> dg.AssetChecksDefinition:
    key = reference_asset_key(account, stream)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(UNIQUE_IDS, asset=key, description="Every row has an id, none twice."),
            dg.AssetCheckSpec(NEVER_SHRINKS, asset=key, description="No fewer rows than the previous run recorded."),
        ],
        name=f"{account}__{stream.name}__checks",
        can_subset=True,
        required_resource_keys={warehouse_key},
    )
    def _checks(context) -> Iterator[dg.AssetCheckResult]:
        resource: WarehouseResource = getattr(context.resources, warehouse_key)
        warehouse = resource.open()
        selected = {check.name for check in context.selected_asset_check_keys}
        try:
            if not warehouse.path.exists() and not warehouse.files.working.exists():
                raise FileNotFoundError(f"warehouse file {warehouse.path} does not exist: run a refresh first")
            with warehouse.query() as con:  # the working file, as the raw checks read it
                rows, nulls, duplicated = con.execute(
                    "SELECT count(*), count(*) FILTER (WHERE id IS NULL), count(id) - count(DISTINCT id) "
                    f'FROM "{RAW}"."{stream.table}"'
                ).fetchone()
        except (duckdb.Error, WarehouseError, FileNotFoundError) as error:
            for name in selected:
                yield dg.AssetCheckResult(asset_key=key, check_name=name, passed=False, description=str(error))
            return
        if UNIQUE_IDS in selected:
            metadata = {"null_ids": nulls, "duplicated_ids": duplicated}
            passed = nulls == duplicated == 0
            yield dg.AssetCheckResult(asset_key=key, check_name=UNIQUE_IDS, passed=passed, metadata=metadata)
        if NEVER_SHRINKS in selected:
            previous = previous_row_count(context.instance, key, context.op_execution_context.run_id)
            passed = previous is None or rows >= previous
            metadata = {"row_count": rows, "previous_row_count": previous if previous is not None else -1}
            yield dg.AssetCheckResult(asset_key=key, check_name=NEVER_SHRINKS, passed=passed, metadata=metadata)

    return _checks
