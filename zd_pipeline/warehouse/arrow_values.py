"""The Arrow types of catalogue columns and the conversions both page paths share (:mod:`.arrow_page` for dicts,
:mod:`.arrow_raw` for records as JSON text), so a column comes out identical whichever path built it."""

from __future__ import annotations

import array
import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import Stream, to_iso

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
INT32 = pa.int32()


def positions(count: int, arrow_type: pa.DataType = INT32) -> pa.Array:
    """0, 1, ..., ``count - 1`` (a page's or batch's ``_pos``), built in numpy: ``pa.array(range(n))`` walks n
    Python ints while holding the GIL, which the writer thread waits for (0.7 ms per 7,000 rows)."""
    return pa.array(np.arange(count, dtype=arrow_type.to_pandas_dtype()), arrow_type)


def constant_mask(count: int, value: bool) -> pa.Array:
    """``count`` times ``value`` as a boolean array, without a Python list (``[True] * n`` converted to Arrow cost
    the writer ~1 ms per 7,000-row batch, most of it waiting for the GIL while a fetcher parsed a page)."""
    return pa.repeat(pa.scalar(value, pa.bool_()), count)


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

    Gathered into one growing buffer as they come: retaining a thousand separate ``bytes`` objects (orjson's
    output, say) costs several times more than serialising them.
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
    return _json_array(count, offsets, data, valid)


def joined_json_texts(texts: Sequence[Any]) -> pa.Array:
    """As :func:`json_texts_array`, for texts that exist already (slices of a response body): one join, no
    per-value copy."""
    offsets = array.array("q", [0])
    if None in texts:
        offsets.extend(itertools.accumulate(0 if text is None else len(text) for text in texts))
        present = [text for text in texts if text is not None]
        return _json_array(len(texts), offsets, b"".join(present), [text is not None for text in texts])
    offsets.extend(itertools.accumulate(map(len, texts)))
    return _json_array(len(texts), offsets, b"".join(texts), None)


def _json_array(count: int, offsets: array.array, data: Any, valid: list[bool] | None) -> pa.Array:
    null_count = 0 if valid is None else count - sum(valid)
    storage = pa.LargeStringArray.from_buffers(
        count,
        pa.py_buffer(offsets),
        pa.py_buffer(data),
        pa.array(valid, pa.bool_()).buffers()[1] if null_count else None,
        null_count,
    )
    return pa.ExtensionArray.from_storage(JSON, storage)


def tombstones(stream: Stream, values: Iterable[Any], count: int) -> list[bool]:
    """Whether each record is a tombstone, from its values of the stream's tombstone field (``count`` of them):
    the value must equal one of the tombstone's and have its type (``0`` is not ``False``)."""
    if stream.tombstone is None:
        return [False] * count
    return [stream.tombstone.marks(v) for v in values]


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
