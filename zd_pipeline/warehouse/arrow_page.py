"""One page of Zendesk records → one Arrow table, column by column (no per-row SQL).

Contract: every record must carry the stream's primary key (not null, of ``stream.id_type``) and a readable
ordering timestamp; otherwise :class:`BadRecordError` names the stream, the record's position and id, and nothing of
the page is written. Every other field is best effort, because the API's shapes drift and a sync must not stop on
them: a value that does not fit its typed column (Zendesk changed a field's type) becomes NULL in that column —
VARCHAR columns take the value's JSON text instead — and stays intact in ``_raw``. Unknown keys exist only in
``_raw`` (see the package docstring for why they do not become columns).

Every column arrives in DuckDB already in its type, so the merge SQL casts nothing: TIMESTAMPTZ columns are parsed
from ISO-8601 strings by Arrow (epoch integers are converted to ISO first; naive strings are taken as UTC), JSON
columns and ``_raw`` are serialised with orjson into Arrow's JSON extension type, which DuckDB imports as JSON
(records given as text, :class:`RawRecords`, keep their own text: see :mod:`.arrow_raw`).
Catalogue types with no Arrow mapping here are shipped as text and ``TRY_CAST`` in SQL (see ``sql_expression``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa

from zd_pipeline.catalogue import Column, Stream
from zd_pipeline.records import RawRecords

from .arrow_raw import raw_page_to_arrow
from .arrow_values import (
    CONVERSION_ERRORS,
    POSITION,
    SCALAR_TYPES,
    TEXT_CAST_TYPES,
    joined_json_texts,
    json_texts_array,
    list_item_type,
    list_type,
    positions,
    timestamps,
    tombstones,
)
from .ddl import quote, table_columns
from .errors import BadRecordError

__all__ = ["POSITION", "page_to_arrow", "sql_expression"]

Record = dict[str, Any]


def page_to_arrow(stream: Stream, records: Sequence[Record]) -> pa.Table:
    """The page as an Arrow table: ``_pos`` (position in the page), every typed column, ``_raw``,
    ``_ordering_ts`` and ``_deleted``. Raises :class:`BadRecordError` for a missing/unreadable id or timestamp.

    Records that came as JSON text (:class:`RawRecords`) take :mod:`.arrow_raw`'s fast path when every value has
    its column's exact type, and keep their text as ``_raw`` on either path."""
    raw = None
    if isinstance(records, RawRecords):
        table = raw_page_to_arrow(stream, records)
        if table is not None:
            return table
        raw, records = records.raw, list(records)
    ids = _ids(stream, records)
    ordering = _ordering(stream, records)
    arrays: dict[str, pa.Array] = {POSITION: positions(len(records))}
    plain = _plain_columns(stream, records)
    for column in table_columns(stream):
        if column.name == stream.primary_key:
            arrays[column.name] = ids
        elif column.name in plain:
            arrays[column.name] = plain[column.name]
        elif not column.name.startswith("_"):
            arrays[column.name] = _column(column, [r.get(column.name) for r in records])
    arrays["_raw"] = _json_texts(records) if raw is None else joined_json_texts(raw)
    arrays["_ordering_ts"] = pa.array(ordering, pa.int64())
    field = stream.tombstone.field if stream.tombstone else None
    arrays["_deleted"] = pa.array(tombstones(stream, (r.get(field) for r in records), len(records)), pa.bool_())
    return pa.table(arrays)


def _plain_columns(stream: Stream, records: Sequence[Record]) -> dict[str, pa.Array]:
    """The scalar columns (BIGINT, VARCHAR, BOOLEAN, ...) converted in one pass by Arrow, or ``{}`` when a value
    somewhere does not fit its type (then every column takes the lenient path, column by column).

    ``Table.from_pylist`` gathers the values in compiled code and converts each column with the same rules as
    ``pa.array`` (so the result is identical), in about half the time of Python list comprehensions. List columns
    are not included: Arrow would take a string as a list of characters, so they keep their type check.
    """
    schema = _plain_schema(stream)
    if not len(schema):
        return {}
    try:
        table = pa.Table.from_pylist(records, schema=schema)
    except CONVERSION_ERRORS:
        return {}
    return {name: table.column(name).combine_chunks() for name in schema.names}


@functools.lru_cache(maxsize=64)
def _plain_schema(stream: Stream) -> pa.Schema:
    return pa.schema(
        [
            pa.field(c.name, SCALAR_TYPES[c.type.upper()])
            for c in table_columns(stream)
            if c.name != stream.primary_key and not c.name.startswith("_") and c.type.upper() in SCALAR_TYPES
        ]
    )


def sql_expression(column: Column) -> str:
    """How the staged Arrow column becomes the table's type in SQL (text columns are cast by DuckDB)."""
    name = quote(column.name)
    type_name = column.type.upper()
    if type_name in SCALAR_TYPES or type_name in TEXT_CAST_TYPES or list_item_type(type_name) is not None:
        return name
    return f"TRY_CAST({name} AS {column.type})"


def _ids(stream: Stream, records: Sequence[Record]) -> pa.Array:
    key = stream.primary_key
    values = [r.get(key) for r in records]
    arrow_type = SCALAR_TYPES.get(stream.id_type.upper(), pa.string())
    for position, value in enumerate(values):
        if value is None:
            raise BadRecordError(
                f"stream {stream.name!r}: record at position {position} of the page has no {key!r} "
                f"(keys: {sorted(records[position])[:20]}); the page was not written"
            )
    try:
        return pa.array(values, arrow_type)
    except CONVERSION_ERRORS:
        position = next(i for i, v in enumerate(values) if not _fits(v, arrow_type))
        raise BadRecordError(
            f"stream {stream.name!r}: record at position {position} has {key!r} = {values[position]!r}, "
            f"which is not a {stream.id_type}; the page was not written"
        ) from None


def _ordering(stream: Stream, records: Sequence[Record]) -> list[int]:
    try:
        return [stream.ordering_epoch(r) for r in records]
    except (KeyError, ValueError, TypeError, OverflowError):
        pass
    for position, record in enumerate(records):
        try:
            stream.ordering_epoch(record)
        except KeyError:
            problem = f"has no ordering field {stream.ordering_field!r}"
        except (ValueError, TypeError, OverflowError):
            problem = f"has an unreadable {stream.ordering_field!r}: {record.get(stream.ordering_field)!r}"
        else:
            continue
        raise BadRecordError(
            f"stream {stream.name!r}: record at position {position} (id {record.get(stream.primary_key)!r}) "
            f"{problem} ({stream.ordering_format.value} timestamp expected); the page was not written"
        ) from None
    raise AssertionError("unreachable: ordering failed but every record parsed")  # pragma: no cover


def _column(column: Column, values: list[Any]) -> pa.Array:
    type_name = column.type.upper()
    if type_name in TEXT_CAST_TYPES or (type_name not in SCALAR_TYPES and list_item_type(type_name) is None):
        return _text_column(type_name, values)
    arrow_type = SCALAR_TYPES.get(type_name) or list_type(type_name)
    if pa.types.is_list(arrow_type) and not all(v is None or type(v) is list for v in values):
        return _lenient(values, arrow_type)
    try:
        return pa.array(values, arrow_type)
    except CONVERSION_ERRORS:
        return _lenient(values, arrow_type)


def _text_column(type_name: str, values: list[Any]) -> pa.Array:
    if type_name == "JSON":
        return _json_texts(values)
    if type_name == "TIMESTAMPTZ":
        return timestamps(values)
    return pa.array([None if v is None else _any_text(v) for v in values], pa.string())


def _any_text(value: Any) -> str:
    return value if isinstance(value, str) else _dumps(value).decode()


def _json_texts(values: Sequence[Any]) -> pa.Array:
    """JSON text of each value (None stays NULL) as Arrow's JSON type."""
    return json_texts_array((None if value is None else _dumps(value) for value in values), len(values))


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # lone surrogates, integers beyond 64 bits, non-string keys: keep all that is valid JSON
        return _valid_unicode(json.dumps(value, default=str, ensure_ascii=False)).encode()


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (not Unicode, rejected by DuckDB's JSON) replaced by U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _lenient(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """Value by value: what fits its type is kept; VARCHAR takes other values' JSON text; the rest is NULL."""
    if arrow_type == pa.string():
        return pa.array([None if v is None else _safe_text(v) for v in values], arrow_type)
    return pa.array([v if _fits(v, arrow_type) else None for v in values], arrow_type)


def _safe_text(value: Any) -> str:
    text = _any_text(value)
    return text if text.isascii() else _valid_unicode(text)


def _fits(value: Any, arrow_type: pa.DataType) -> bool:
    if pa.types.is_list(arrow_type) and type(value) is not list:
        return False
    try:
        pa.array([value], arrow_type)
    except CONVERSION_ERRORS:
        return False
    return True
