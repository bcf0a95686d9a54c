"""The raw Zendesk assets: one factory turns the catalogue into one asset per stream.

All stream assets of an account are specs of a single subsettable multi-asset, so a run that selects several
streams pages them concurrently (one fetcher thread each, within each endpoint's own rate limit) while one
writer, the op's thread, writes every page (see ``engine.py``). A run selecting one stream is
just the subset. Daily partitions with a single-run backfill policy: a backfill of many days is one run that
pages once over the whole range.

Resume order for each stream: the stored checkpoint of this exact window if it is incomplete (a cut-off run
continues where it stopped), else the resume point in run config (the sensor's), else the window's start.
``full_refresh`` ignores both.

A stream the account's Zendesk plan does not offer (routing below Enterprise) is no failure: the other streams
complete, the run succeeds, and the stream gets an observation saying so instead of a materialization (its specs
are ``skippable``; see :mod:`.offers`).
"""

# No `from __future__ import annotations` here: Dagster reads the decorated functions' annotations (config,
# context) at decoration time and cannot resolve string annotations.

import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

import dagster as dg
from pydantic import Field

from zd_pipeline.catalogue import STREAMS, Stream, to_iso
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import FeatureNotOfferedError
from zd_pipeline.pipeline import metadata as md
from zd_pipeline.pipeline.engine import StreamJob, StreamResult, streams_as_they_end
from zd_pipeline.pipeline.offers import not_offered_observation
from zd_pipeline.pipeline.partitions import clamp_end, window_epochs
from zd_pipeline.pipeline.resources import WarehouseResource, ZendeskResource
from zd_pipeline.warehouse import Warehouse

OWNERS = ["team:data-platform"]
STREAM_TAG = "zd/stream"


class SyncConfig(dg.Config):
    """Run config of a sync (no secrets here: run config is stored and shown in the UI).

    ``resume_start_times`` / ``resume_cursors``: per stream, where to continue (the sensor fills these).
    ``full_refresh``: ignore stored checkpoints and resume points and re-read the whole window.
    """

    resume_start_times: dict[str, int] = Field(default_factory=dict)
    resume_cursors: dict[str, str] = Field(default_factory=dict)
    full_refresh: bool = False


def sync_op_name(account: str) -> str:
    return f"{account}__sync"


def raw_asset_key(account: str, stream: Stream) -> dg.AssetKey:
    return dg.AssetKey([account, stream.name])


def stream_spec(account: str, stream: Stream, partitions_def: dg.PartitionsDefinition) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_asset_key(account, stream),
        description=f"{stream.description}\n\nTable `{account}.{stream.table}`, from `{stream.time_path}`.",
        group_name=account,
        owners=OWNERS,
        kinds={"zendesk", "duckdb"},
        tags={STREAM_TAG: stream.name},
        partitions_def=partitions_def,
        skippable=stream.plan_feature is not None,  # not materialized when the plan does not offer it
        metadata={
            "dagster/column_schema": md.column_schema(stream),
            "dagster/table_name": f"{account}.{stream.table}",
            "dagster/code_references": md.catalogue_reference(stream),
            "export_path": stream.time_path,
            "write_mode": stream.write_mode.value,
        },
    )


def build_stream_assets(
    account: str,
    partitions_def: dg.PartitionsDefinition,
    *,
    streams: Iterable[Stream] = STREAMS.values(),
    zendesk_key: str = "zendesk",
    warehouse_key: str = "warehouse",
) -> dg.AssetsDefinition:
    """One asset per catalogue stream for ``account`` (its DuckDB schema and asset-key prefix)."""
    by_key = {raw_asset_key(account, s): s for s in streams}

    @dg.multi_asset(
        name=sync_op_name(account),
        specs=[stream_spec(account, s, partitions_def) for s in by_key.values()],
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={zendesk_key, warehouse_key},
    )
    def _sync(context: dg.AssetExecutionContext, config: SyncConfig) -> Iterator[dg.MaterializeResult]:
        # (it also yields an AssetObservation per stream the plan does not offer: an event, not an output)
        zendesk: ZendeskResource = getattr(context.resources, zendesk_key)
        warehouse_resource: WarehouseResource = getattr(context.resources, warehouse_key)
        window_start, window_end = window_epochs(context.partition_time_window)
        end_time = clamp_end(window_end, time.time())
        warehouse = warehouse_resource.open()
        selected = [by_key[key] for key in by_key if key in context.selected_asset_keys]
        with warehouse.writing():  # the working file, under the account's lock; published when the block ends
            warehouse.ensure_tables()
            jobs = [_job(warehouse, config, s, window_start, window_end, end_time) for s in selected]
            by_name = {job.stream.name: job for job in jobs}
            for job in jobs:
                window = f"{to_iso(window_start)} → {to_iso(end_time)}"
                context.log.info(f"{job.stream.name}: window {window}, from {job.start}")
            failures: dict[str, BaseException] = {}
            with zendesk.build_client() as client:
                # each stream is recorded as it ends: under the rate limit its events are stored while the other
                # streams still page, not all after the last page
                for result in streams_as_they_end(client, warehouse, jobs, on_page=_page_logger(context)):
                    job = by_name[result.stream]
                    key = raw_asset_key(account, job.stream)
                    if result.error is None:
                        metadata = md.materialization(job, result, md.stream_stats(client, job.stream.name), warehouse)
                        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
                    elif isinstance(result.error, FeatureNotOfferedError):
                        context.log.warning(f"{result.stream}: not offered by this account's plan: {result.error}")
                        yield not_offered_observation(key, job.stream, result.error, time.time())
                    else:
                        failures[result.stream] = result.error
        _raise_failures(failures)

    return _sync


def _job(
    warehouse: Warehouse, config: SyncConfig, stream: Stream, window_start: int, window_end: int, end_time: int
) -> StreamJob:
    job = StreamJob(stream, window_start, window_end, end_time, ResumePoint(start_time=window_start))
    if config.full_refresh:
        return job
    stored = warehouse.load_checkpoint(stream.name, window_start, window_end)
    if stored is not None and not stored.complete:
        return replace(job, start=stored.resume, high_water_mark=stored.high_water_mark)
    if stream.name in config.resume_cursors:
        return replace(job, start=ResumePoint(cursor=config.resume_cursors[stream.name]))
    if stream.name in config.resume_start_times:
        start_time = max(window_start, config.resume_start_times[stream.name])
        return replace(job, start=ResumePoint(start_time=start_time))
    return job


PROGRESS_LOG_SECONDS = 10.0
"""Per stream, at most one progress line in the run's log this often (plus its first and last page): every line
is an event Dagster stores, and one per page was 538 of them in a demo sync (now 25)."""


def _page_logger(context: dg.AssetExecutionContext):
    logged_at: dict[str, float] = {}

    def log(job: StreamJob, page, result: StreamResult) -> None:
        name, now = job.stream.name, time.monotonic()
        if name in logged_at and now - logged_at[name] < PROGRESS_LOG_SECONDS and not page.end_of_stream:
            return
        logged_at[name] = now
        context.log.info(
            f"{name}: {result.pages:,} page(s), {result.fetched:,} records, {result.written:,} written so far; "
            f"high-water mark {page.high_water_mark}{' (end of the export)' if page.end_of_stream else ''}"
        )

    return log


def _raise_failures(failed: dict[str, BaseException]) -> None:
    if failed:
        detail = "; ".join(f"{name}: {error}" for name, error in failed.items())
        raise dg.Failure(
            description=f"{len(failed)} stream(s) failed (pages committed before the error are kept): {detail}",
            metadata={"failed_streams": ", ".join(failed)},
        ) from next(iter(failed.values()))
