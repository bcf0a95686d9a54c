"""An export page's records, read without building them: :class:`~zd_pipeline.records.RawRecords`.

msgspec slices the records array into each record's JSON text (no copy: slices of the response body) and, in a
second compiled pass, decodes each record's typed columns (the stream's :class:`~zd_pipeline.records.RowCodec`),
from which come its id and ordering value and, later, the warehouse's columns; when a value does not have its
column's type, that pass reads just each record's id and ordering field instead. Parsing every record into a dict with
orjson was more than half the client's CPU per record; this costs a fraction of it (figure 2 of ``python -m
bench.run`` measures the client against a bare fetch, docs/performance.md). Records are decoded into dicts only if
someone indexes them.

Anything the fast pass refuses (a record that is not an object, an id that is neither an integer nor a string, a
missing or null ordering field) is read again with orjson, and :func:`_check_record` says precisely what is
wrong.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
import orjson

from zd_pipeline.catalogue import Stream
from zd_pipeline.client.paginators import PageShapeError
from zd_pipeline.client.timestamps import epoch_of
from zd_pipeline.records import RawRecords, row_codec

_TEXTS = msgspec.json.Decoder(list[msgspec.Raw])


def records_of(stream: Stream, records_text: msgspec.Raw) -> RawRecords:
    """The page's records (the JSON text under the stream's response key) with ids and ordering timestamps.
    Raises ``PageShapeError`` naming what is wrong."""
    try:
        texts = _TEXTS.decode(records_text)
    except msgspec.ValidationError:
        return _checked(stream, orjson.loads(memoryview(records_text)))
    typed = _typed(stream, records_text)
    if typed is not None:
        rows, ids, values = typed
    else:
        try:
            keys = _keys(stream).decode(records_text)
        except msgspec.ValidationError:
            return _checked(stream, orjson.loads(memoryview(records_text)))
        rows, ids, values = None, [key.id for key in keys], [key.ordering for key in keys]
    stamps: list[int] = []
    append = stamps.append
    for record_id, value in zip(ids, values, strict=True):
        try:
            append(epoch_of(value))
        except (ValueError, TypeError) as exc:
            raise PageShapeError(
                f"record {stream.primary_key}={record_id!r} has no readable {stream.ordering_field!r} ({exc!r})"
            ) from None
    return RawRecords(texts, ids, stamps, array=records_text, rows=rows)


def _typed(stream: Stream, records_text: msgspec.Raw) -> tuple[list[Any], list[Any], list[Any]] | None:
    """The records decoded by the stream's :class:`RowCodec` (the warehouse builds its columns from them), with
    their ids and ordering values; ``None`` when that decoding refuses a value, or a record lacks its ordering
    value: the key pass then reads ids and ordering values alone, and reports a missing one precisely."""
    codec = row_codec(stream)
    if codec is None or codec.ordering_of is None:
        return None
    try:
        rows = codec.decoder.decode(records_text)
    except msgspec.ValidationError:
        return None
    values = list(map(codec.ordering_of, rows))
    if any(value is None for value in values):
        return None
    return rows, list(map(codec.id_of, rows)), values


@functools.lru_cache(maxsize=64)
def _keys(stream: Stream) -> msgspec.json.Decoder:
    key = msgspec.defstruct(
        f"{stream.name}_key",
        [("id", int | str), ("ordering", int | float | str)],
        rename={"id": stream.primary_key, "ordering": stream.ordering_field},
        gc=False,
    )
    return msgspec.json.Decoder(list[key])


def _checked(stream: Stream, records: Any) -> RawRecords:
    """The slow path: ``records`` parsed by orjson, checked record by record (raises on the first fault)."""
    if not isinstance(records, list):
        raise PageShapeError(f"response key {stream.response_key!r} is not a list (got {type(records).__name__})")
    key, field = stream.primary_key, stream.ordering_field
    ids: list[Any] = []
    stamps: list[int] = []
    for position, record in enumerate(records):
        _check_record(stream, position, record)
        try:
            stamps.append(epoch_of(record[field]))
        except (ValueError, TypeError) as exc:
            raise PageShapeError(f"record {key}={record[key]!r} has no readable {field!r} ({exc!r})") from None
        ids.append(record[key])
    return RawRecords([orjson.dumps(record) for record in records], ids, stamps)


def _check_record(stream: Stream, position: int, record: object) -> None:
    """Raise ``PageShapeError`` naming what is wrong with a record, if anything."""
    if not isinstance(record, dict):
        raise PageShapeError(f"record #{position} is a {type(record).__name__}, not an object")
    record_id = record.get(stream.primary_key)
    if isinstance(record_id, bool) or not isinstance(record_id, int | str):
        raise PageShapeError(f"record #{position} has no usable {stream.primary_key!r} (got {record_id!r})")
    if stream.ordering_field not in record:
        raise PageShapeError(f"record {stream.primary_key}={record_id!r} has no {stream.ordering_field!r}")
