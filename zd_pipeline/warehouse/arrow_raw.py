"""The fast path of :func:`.arrow_page.page_to_arrow`, for records that came as JSON text (:class:`RawRecords`).

msgspec decodes the page's records in one call into a struct per record that holds only the stream's typed
columns, each declared with its exact type (:class:`~zd_pipeline.records.RowCodec`), skipping every other key in
compiled code; the client usually did that already (``RawRecords.rows``). ``_raw`` is the records' own
text, byte for byte, so nothing is serialised again. Why: building each record as a dict with orjson and converting
the dicts (:mod:`.arrow_page`) cost a sync more CPU per record than fetching it; this path costs a fraction of that
(figure 4 of ``python -m bench.run`` measures a whole sync, docs/performance.md).

Contract: the result is the table the dict path builds from the same records, column for column (a test
compares them for every stream), or ``None`` when a value does not have its column's exact type (a field whose
type drifted, an id of the wrong type, an integer beyond the column's range): the dict path then decides with
its lenient rules and precise errors. ``_ordering_ts`` comes from ``RawRecords.stamps``.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import Column, Stream
from zd_pipeline.records import NULL, RawRecords, row_codec

from .arrow_values import (
    CONVERSION_ERRORS,
    POSITION,
    SCALAR_TYPES,
    TIMESTAMP,
    joined_json_texts,
    list_type,
    positions,
    timestamps,
    tombstones,
)


def raw_page_to_arrow(stream: Stream, records: RawRecords) -> pa.Table | None:
    """The page as :func:`.arrow_page.page_to_arrow` builds it, or ``None`` (see the module docstring)."""
    codec = row_codec(stream)
    if codec is None or (stream.tombstone and stream.tombstone.field not in {c.name for c in codec.columns}):
        return None
    try:
        rows = records.rows
        if rows is None or (rows and type(rows[0]) is not codec.struct):
            rows = codec.decoder.decode(records.json_array())
        values = codec.values(rows)
        arrays: dict[str, pa.Array] = {POSITION: positions(len(records))}
        for column, column_values in zip(codec.columns, values, strict=True):
            arrays[column.name] = _array(column, column_values)
    except (msgspec.ValidationError, *CONVERSION_ERRORS):
        return None
    arrays["_raw"] = joined_json_texts(records.raw)
    arrays["_ordering_ts"] = pa.array(records.stamps, pa.int64())
    deleted = tombstones(stream, _tombstone_values(stream, codec.columns, values), len(records))
    arrays["_deleted"] = pa.array(deleted, pa.bool_())
    return pa.table(arrays)


def _array(column: Column, values: tuple[Any, ...]) -> pa.Array:
    type_name = column.type.upper()
    if type_name == "JSON":
        return joined_json_texts([None if value == NULL else value for value in values])
    if type_name == "TIMESTAMPTZ":  # text or None here: Arrow parses it unless a value is naive or odd
        try:
            return pc.cast(pa.array(values, pa.string()), TIMESTAMP)
        except pa.ArrowInvalid:
            return timestamps(list(values))
    arrow_type = SCALAR_TYPES.get(type_name) or list_type(type_name)
    return pa.array(values, arrow_type)


def _tombstone_values(stream: Stream, columns: tuple[Column, ...], values: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The decoded column of the stream's tombstone field (checked to be one), or ``()`` without a tombstone."""
    if stream.tombstone is None:
        return ()
    return values[[c.name for c in columns].index(stream.tombstone.field)]
