"""What the UI shows about a stream: its column schema and each materialization's figures.

The materialization keys are a contract: the sensor reads ``high_water_mark_epoch`` and ``window_end``, the
checks read ``row_count`` and ``window_end`` (through :func:`latest_value` / :func:`latest_paged_to`). None of
them ever holds a credential (URLs are logged without auth by the client).
"""

from __future__ import annotations

import inspect
import time
import warnings
from pathlib import Path
from typing import Any

import dagster as dg

from zd_pipeline.catalogue import Stream, streams, to_epoch, to_iso
from zd_pipeline.client import ZendeskClient
from zd_pipeline.pipeline.engine import StreamJob, StreamResult
from zd_pipeline.warehouse import Warehouse

HIGH_WATER_MARK_EPOCH = "high_water_mark_epoch"
ROW_COUNT = "row_count"
WINDOW_END = "window_end"  # ISO-8601 export bound the run paged up to (read by the sensor and the checks)

_BOOKKEEPING_COLUMNS = (
    dg.TableColumn("_deleted", "BOOLEAN", description="True for deleted records (kept, never hard-deleted)."),
    dg.TableColumn("_ordering_ts", "BIGINT", description="Epoch seconds of the ordering timestamp (newest wins)."),
    dg.TableColumn("_synced_at", "TIMESTAMPTZ", description="When this row was last written by a sync."),
    dg.TableColumn("_raw", "JSON", description="The whole record as Zendesk sent it: no field is ever lost."),
)


def column_schema(stream: Stream) -> dg.TableSchema:
    columns = [dg.TableColumn(c.name, c.type, description=c.description or None) for c in stream.columns]
    return dg.TableSchema(columns=[*columns, *_BOOKKEEPING_COLUMNS])


def catalogue_reference(stream: Stream) -> dg.CodeReferencesMetadataValue:
    """A link (``dagster/code_references``) to the line of ``catalogue/streams.py`` that declares ``stream``.

    The line is where the stream's name is first written in the module (1 when it cannot be found).
    """
    path = Path(inspect.getfile(streams))
    text = path.read_text(encoding="utf-8")
    offset = text.find(f'"{stream.name}"')
    line = 1 if offset < 0 else text.count("\n", 0, offset) + 1
    with warnings.catch_warnings():  # code references are beta in Dagster 1.13; we accept that, silence the notice
        warnings.simplefilter("ignore", dg.BetaWarning)
        reference = dg.LocalFileCodeReference(file_path=str(path), line_number=line, label="catalogue entry")
        return dg.CodeReferencesMetadataValue(code_references=[reference])


def stream_stats(client: ZendeskClient, stream_name: str) -> dict[str, int]:
    """Request counters of one stream from the client (requests, 429s received, retries)."""
    stats = client.stats.for_stream(stream_name)
    return {"requests": stats.requests, "responses_429": stats.responses_429, "retries": stats.retries}


def materialization(job: StreamJob, result: StreamResult, stats: dict[str, int], warehouse: Warehouse) -> dict:
    hwm = warehouse.high_water_mark(job.stream.name)
    meta: dict[str, Any] = {
        "records_fetched": result.fetched,
        "records_upserted": result.written,
        "records_ignored": result.ignored,
        "pages": result.pages,
        **stats,
        "window_start": to_iso(job.window_start),
        WINDOW_END: to_iso(job.end_time),
        "window_complete": result.complete,
        ROW_COUNT: warehouse.row_count(job.stream.name),
    }
    if hwm is not None:
        meta[HIGH_WATER_MARK_EPOCH] = hwm
        meta["high_water_mark"] = dg.MetadataValue.timestamp(float(hwm))
        meta["lag_seconds"] = max(0, int(time.time()) - hwm)
    if result.resume is not None and result.resume.cursor is not None:
        meta["export_cursor"] = result.resume.cursor
    return meta


def latest_value(instance: dg.DagsterInstance, key: dg.AssetKey, name: str) -> Any | None:
    """The plain value of metadata ``name`` on the latest successful materialization of ``key``, or ``None``."""
    event = instance.get_latest_materialization_event(key)
    materialization = None if event is None else event.asset_materialization
    value = None if materialization is None else materialization.metadata.get(name)
    return None if value is None else value.value


def latest_paged_to(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    """Epoch seconds the latest successful materialization of ``key`` read the export up to (its ``window_end``
    metadata, ISO-8601), or ``None``. Materializations are recorded only for streams that paged to their end."""
    value = latest_value(instance, key, WINDOW_END)
    if value is None:
        return None
    try:
        return to_epoch(value)
    except (TypeError, ValueError):
        return None
