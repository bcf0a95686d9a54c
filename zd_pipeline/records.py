"""A page's records as the JSON text the server sent: what the client hands the warehouse on the fast path.

Parsing every record into a ``dict`` and serialising it again for the ``_raw`` column cost ~13 µs per ticket of a
sync's CPU (py-spy, stop 16), more than fetching it. :class:`RawRecords` keeps each record's JSON text (slices
of the response body, not copies) with the two facts the client needs (id and ordering timestamp, read by msgspec
without building the record), so the warehouse can store ``_raw`` byte for byte and decode only its typed columns.

It is still a ``Sequence`` of dicts: indexing decodes that record with orjson (once; decoded records are kept), so
code that wants dicts, tests or a user's code, reads it as it read the list of dicts before.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, TypeAlias, overload

import msgspec
import orjson

JsonText: TypeAlias = bytes | msgspec.Raw  # one record's JSON object text


class RawRecords(Sequence[dict[str, Any]]):
    """``raw[i]`` is record *i*'s JSON object text (``bytes`` or ``msgspec.Raw``), ``ids[i]`` its primary key and
    ``stamps[i]`` its ordering timestamp (epoch s). Contract: the three lists have one entry per record, in page
    order; ``raw[i]`` is one JSON object (the client decoded it as one)."""

    __slots__ = ("_array", "_decoded", "ids", "raw", "stamps")

    def __init__(
        self, raw: list[JsonText], ids: list[Hashable], stamps: list[int], *, array: JsonText | None = None
    ) -> None:
        """``array``, when given, is the JSON array text these records were cut from, exactly them in this order
        (saves :meth:`json_array` joining them again)."""
        if not len(raw) == len(ids) == len(stamps):
            raise ValueError(f"raw, ids and stamps differ in length: {len(raw)}, {len(ids)}, {len(stamps)}")
        self.raw, self.ids, self.stamps, self._array = raw, ids, stamps, array
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
        return RawRecords(
            [self.raw[i] for i in positions], [self.ids[i] for i in positions], [self.stamps[i] for i in positions]
        )

    def json_array(self) -> JsonText:
        """The records as one JSON array text (what a decoder reads in one call)."""
        if self._array is None:
            self._array = b"[" + b",".join(self.raw) + b"]"
        return self._array
