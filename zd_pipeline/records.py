"""A page's records as the JSON text the server sent: what the client hands the warehouse. Shared by both layers,
like the catalogue it is built from; it knows nothing of HTTP, Arrow or DuckDB.

Parsing every record into a ``dict`` and serialising it again for the ``_raw`` column cost a sync more CPU per
record than fetching it. :class:`RawRecords` keeps each record's JSON text (slices
of the response body, not copies) with its id and ordering timestamp, and usually its typed columns decoded by the
stream's :class:`RowCodec` (one compiled msgspec pass that skips every other key): the client reads ids and
timestamps from those rows, the warehouse builds its columns from them and stores each text as ``_raw`` byte for
byte.

``RawRecords`` is still a ``Sequence`` of dicts: indexing decodes that record with orjson (once; decoded records
are kept), so code that wants dicts (tests, a user's code) reads it as a list of dicts.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, overload

import msgspec
import orjson

from zd_pipeline.catalogue import Column, Stream

JsonText: TypeAlias = bytes | msgspec.Raw  # one record's JSON object text
NULL = msgspec.Raw(b"null")  # a JSON column's value when the record has none (or null)
_PYTHON_TYPES: dict[str, type] = {
    "BIGINT": int,
    "INTEGER": int,
    "SMALLINT": int,
    "DOUBLE": float,
    "BOOLEAN": bool,
    "VARCHAR": str,
    "TIMESTAMPTZ": str,  # ISO text; an epoch number does not decode (the lenient paths take it)
}


@dataclass(frozen=True)
class RowCodec:
    """Decodes a JSON array of a stream's records into one struct per record holding exactly its typed columns
    (``Stream.typed_columns``), each of its exact type: ``int | None`` for BIGINT, ``list[str] | None`` for
    VARCHAR[], text for TIMESTAMPTZ, the unparsed text of JSON columns (:data:`NULL` when absent); every other
    key is skipped in compiled code. A value of another type, or a record without its primary key, raises
    ``msgspec.ValidationError``.

    The client decodes pages with it (ids and ordering timestamps come from the rows) and the warehouse builds
    its columns from the same rows, so a record is decoded once."""

    columns: tuple[Column, ...]
    struct: type
    decoder: msgspec.json.Decoder
    id_of: Callable[[Any], Hashable]
    ordering_of: Callable[[Any], Any] | None  # None when the ordering field has no typed column

    def values(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        """The rows' values column by column, in :attr:`columns` order."""
        return list(zip(*map(msgspec.structs.astuple, rows), strict=True)) or [()] * len(self.columns)


@functools.lru_cache(maxsize=64)
def row_codec(stream: Stream) -> RowCodec | None:
    """The stream's :class:`RowCodec`, or ``None`` when a column's type has no exact decoding here."""
    columns = stream.typed_columns
    fields: list[tuple[str, Any, Any]] = []
    for number, column in enumerate(columns):
        field_type = _field_type(column.type.upper())
        if field_type is None:
            return None
        if column.name == stream.primary_key:
            fields.append((f"c{number}", field_type, msgspec.NODEFAULT))
        elif field_type is msgspec.Raw:
            fields.append((f"c{number}", msgspec.Raw, NULL))
        else:
            fields.append((f"c{number}", field_type | None, None))
    names = [column.name for column in columns]
    rename = {f"c{number}": name for number, name in enumerate(names)}
    struct = msgspec.defstruct(f"{stream.name}_row", fields, rename=rename, gc=False)
    ordering = stream.ordering_field
    return RowCodec(
        columns,
        struct,
        msgspec.json.Decoder(list[struct]),
        operator.attrgetter(f"c{names.index(stream.primary_key)}"),
        operator.attrgetter(f"c{names.index(ordering)}") if ordering in names else None,
    )


def _field_type(type_name: str) -> Any:
    if type_name == "JSON":
        return msgspec.Raw
    if type_name in _PYTHON_TYPES:
        return _PYTHON_TYPES[type_name]
    if type_name.endswith("[]") and type_name[:-2] in _PYTHON_TYPES and type_name[:-2] != "TIMESTAMPTZ":
        return list[_PYTHON_TYPES[type_name[:-2]]]
    return None


class RawRecords(Sequence[dict[str, Any]]):
    """``raw[i]`` is record *i*'s JSON object text (``bytes`` or ``msgspec.Raw``), ``ids[i]`` its primary key and
    ``stamps[i]`` its ordering timestamp (epoch s). Contract: the three lists have one entry per record, in page
    order; ``raw[i]`` is one JSON object (the client decoded it as one)."""

    __slots__ = ("_array", "_decoded", "ids", "raw", "rows", "stamps")

    def __init__(
        self,
        raw: list[JsonText],
        ids: list[Hashable],
        stamps: list[int],
        *,
        array: JsonText | None = None,
        rows: list[Any] | None = None,
    ) -> None:
        """``array``, when given, is the JSON array text these records were cut from, exactly them in this order
        (saves :meth:`json_array` joining them again); ``rows`` their :class:`RowCodec` structs, when decoded."""
        if not len(raw) == len(ids) == len(stamps) == len(raw if rows is None else rows):
            raise ValueError(f"raw, ids and stamps differ in length: {len(raw)}, {len(ids)}, {len(stamps)}")
        self.raw, self.ids, self.stamps, self._array, self.rows = raw, ids, stamps, array, rows
        self._decoded: list[dict[str, Any] | None] | None = None

    def __len__(self) -> int:
        return len(self.raw)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self._decoded is None:
            self._decoded = [None] * len(self.raw)
        record = self._decoded[index]
        if record is None:
            record = self._decoded[index] = orjson.loads(memoryview(self.raw[index]))
        return record

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawRecords | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-like, like the list it stands for

    def __repr__(self) -> str:
        return f"RawRecords({len(self)} records)"

    def select(self, positions: Iterable[int]) -> RawRecords:
        """The records at ``positions`` (in that order)."""
        positions = list(positions)
        rows = None if self.rows is None else [self.rows[i] for i in positions]
        return RawRecords(
            [self.raw[i] for i in positions],
            [self.ids[i] for i in positions],
            [self.stamps[i] for i in positions],
            rows=rows,
        )

    def json_array(self) -> JsonText:
        """The records as one JSON array text (what a decoder reads in one call)."""
        if self._array is None:
            self._array = b"[" + b",".join(self.raw) + b"]"
        return self._array
