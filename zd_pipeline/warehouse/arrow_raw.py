"""The fast path of :func:`.arrow_page.page_to_arrow`, for records that came as JSON text (:class:`RawRecords`).

msgspec decodes the page's records in one call into a struct per record that holds only the stream's typed
columns, each declared with its exact type (``int | None`` for BIGINT, ``list[str] | None`` for VARCHAR[],
the text of JSON columns unparsed, ...), skipping every other key in compiled code. ``_raw`` is the records' own
text, byte for byte, so nothing is serialised again. Measured on simulator pages (``/tmp`` script, stop 17): 5.7
µs per ticket instead of 12.5 for orjson's dicts plus :mod:`.arrow_page`'s conversion; 3.8 instead of 14.6 per
ticket event.

Contract: the result is the table the dict path builds from the same records, column for column (a test
compares them for every stream), or ``None`` when a value does not have its column's exact type (a field whose
type drifted, an id of the wrong type, an integer beyond the column's range): the dict path then decides with
its lenient rules and precise errors. ``_ordering_ts`` comes from ``RawRecords.stamps``.
"""

from __future__ import annotations

import array
import functools
import itertools
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import Column, Stream
from zd_pipeline.records import RawRecords

from .arrow_values import (
    CONVERSION_ERRORS,
    JSON,
    POSITION,
    SCALAR_TYPES,
    TIMESTAMP,
    list_item_type,
    list_type,
    timestamps,
)
from .ddl import table_columns

_PYTHON_TYPES: dict[str, type] = {
    "BIGINT": int,
    "INTEGER": int,
    "SMALLINT": int,
    "DOUBLE": float,
    "BOOLEAN": bool,
    "VARCHAR": str,
    "TIMESTAMPTZ": str,  # ISO text, parsed by Arrow as the dict path does; an epoch number takes the dict path
}
_NULL = msgspec.Raw(b"null")


def raw_page_to_arrow(stream: Stream, records: RawRecords) -> pa.Table | None:
    """The page as :func:`.arrow_page.page_to_arrow` builds it, or ``None`` (see the module docstring)."""
    layout = _layout(stream)
    if layout is None:
        return None
    columns, decoder = layout
    try:
        rows = decoder.decode(records.json_array())
        values = list(zip(*map(msgspec.structs.astuple, rows), strict=True)) or [()] * len(columns)
        arrays: dict[str, pa.Array] = {POSITION: pa.array(range(len(records)), pa.int32())}
        for column, column_values in zip(columns, values, strict=True):
            arrays[column.name] = _array(column, column_values)
    except (msgspec.ValidationError, *CONVERSION_ERRORS):
        return None
    arrays["_raw"] = _texts(records.raw)
    arrays["_ordering_ts"] = pa.array(records.stamps, pa.int64())
    arrays["_deleted"] = pa.array(_tombstones(stream, columns, values, len(records)), pa.bool_())
    return pa.table(arrays)


@functools.lru_cache(maxsize=64)
def _layout(stream: Stream) -> tuple[tuple[Column, ...], msgspec.json.Decoder] | None:
    """The stream's typed columns and a decoder of a JSON array of records into structs of exactly those
    columns; ``None`` when a column's type has no exact decoding here (such streams take the dict path)."""
    columns = tuple(c for c in table_columns(stream) if not c.name.startswith("_"))
    fields: list[tuple[str, Any, Any]] = []
    for number, column in enumerate(columns):
        field_type = _field_type(column.type.upper())
        if field_type is None:
            return None
        if column.name == stream.primary_key:
            fields.append((f"c{number}", field_type, msgspec.NODEFAULT))
        elif field_type is msgspec.Raw:
            fields.append((f"c{number}", msgspec.Raw, _NULL))
        else:
            fields.append((f"c{number}", field_type | None, None))
    tombstone = stream.tombstone
    if tombstone is not None and tombstone.field not in {c.name for c in columns}:
        return None
    names = {f"c{number}": column.name for number, column in enumerate(columns)}
    record = msgspec.defstruct(f"{stream.name}_record", fields, rename=names, gc=False)
    return columns, msgspec.json.Decoder(list[record])


def _field_type(type_name: str) -> Any:
    if type_name == "JSON":
        return msgspec.Raw
    if type_name in _PYTHON_TYPES:
        return _PYTHON_TYPES[type_name]
    item = list_item_type(type_name)
    return list[_PYTHON_TYPES[item]] if item is not None else None


def _array(column: Column, values: tuple[Any, ...]) -> pa.Array:
    type_name = column.type.upper()
    if type_name == "JSON":
        return _texts([None if value == _NULL else value for value in values])
    if type_name == "TIMESTAMPTZ":  # text or None here: Arrow parses it unless a value is naive or odd
        try:
            return pc.cast(pa.array(values, pa.string()), TIMESTAMP)
        except pa.ArrowInvalid:
            return timestamps(list(values))
    arrow_type = SCALAR_TYPES.get(type_name) or list_type(type_name)
    return pa.array(values, arrow_type)


def _texts(texts: list[Any]) -> pa.Array:
    """JSON texts (None stays NULL) as Arrow's JSON type: one join and the offsets, no per-value copy."""
    present = [text for text in texts if text is not None]
    null_count = len(texts) - len(present)
    lengths = map(len, texts) if not null_count else (0 if text is None else len(text) for text in texts)
    offsets = array.array("q", [0])
    offsets.extend(itertools.accumulate(lengths))
    validity = pa.array([text is not None for text in texts], pa.bool_()).buffers()[1] if null_count else None
    storage = pa.LargeStringArray.from_buffers(
        len(texts), pa.py_buffer(offsets), pa.py_buffer(b"".join(present)), validity, null_count
    )
    return pa.ExtensionArray.from_storage(JSON, storage)


def _tombstones(stream: Stream, columns: tuple[Column, ...], values: list[tuple[Any, ...]], count: int) -> list[bool]:
    """As :func:`.arrow_page._tombstones`, from the tombstone field's decoded column (``_layout`` checked it is one)."""
    if stream.tombstone is None or not count:
        return [False] * count
    field, value = stream.tombstone.field, stream.tombstone.value
    kind = type(value)
    found = values[next(i for i, c in enumerate(columns) if c.name == field)]
    return [type(v) is kind and v == value for v in found]
