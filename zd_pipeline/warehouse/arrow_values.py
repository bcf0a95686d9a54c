"""The Arrow types of catalogue columns and the conversions both page paths share (:mod:`.arrow_page` for dicts,
:mod:`.arrow_raw` for records as JSON text), so a column comes out identical whichever path built it."""

from __future__ import annotations

import array
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import to_iso

from . import arrow_setup

arrow_setup.install()

POSITION = "_pos"
CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError, TypeError, ValueError)
SCALAR_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
}
TEXT_CAST_TYPES = ("TIMESTAMPTZ", "JSON")
TIMESTAMP = pa.timestamp("us", tz="UTC")
JSON = pa.json_(pa.large_string())


def list_item_type(type_name: str) -> str | None:
    """``BIGINT`` for ``BIGINT[]`` when the item type maps to Arrow, else None."""
    if type_name.endswith("[]") and type_name[:-2].upper() in SCALAR_TYPES:
        return type_name[:-2].upper()
    return None


def list_type(type_name: str) -> pa.DataType:
    """The Arrow list type of a catalogue list type with an Arrow item type (``VARCHAR[]`` → list<string>)."""
    return pa.list_(SCALAR_TYPES[list_item_type(type_name) or "VARCHAR"])


def json_texts_array(texts: Iterable[bytes | None], count: int) -> pa.Array:
    """``count`` JSON texts (None stays NULL) as Arrow's JSON type, which DuckDB takes as JSON unparsed.

    Gathered into one growing buffer: retaining a thousand separate ``bytes`` objects costs several times more
    than serialising them.
    """
    data = bytearray()
    offsets = array.array("q", [0])
    valid: list[bool] = []
    append, flag = offsets.append, valid.append
    for text in texts:
        if text is not None:
            data += text
        flag(text is not None)
        append(len(data))
    null_count = count - sum(valid)
    storage = pa.LargeStringArray.from_buffers(
        count,
        pa.py_buffer(offsets),
        pa.py_buffer(data),
        pa.array(valid, pa.bool_()).buffers()[1] if null_count else None,
        null_count,
    )
    return pa.ExtensionArray.from_storage(JSON, storage)


def timestamps(values: list[Any]) -> pa.Array:
    """ISO-8601 strings (or epoch numbers) → UTC timestamps, parsed by Arrow; unreadable values become NULL."""
    texts = pa.array([None if v is None else _timestamp_text(v) for v in values], pa.string())
    try:
        return pc.cast(texts, TIMESTAMP)
    except pa.ArrowInvalid:  # a naive or odd string somewhere: parse value by value
        return pa.array([_parse_timestamp(v) for v in texts.to_pylist()], TIMESTAMP)


def _timestamp_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return to_iso(int(value))
        except (ValueError, OverflowError, OSError):  # beyond the years datetime knows: NULL like any misfit
            return None
    return None


def _parse_timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
