"""Removing the items a time-based export repeats across page boundaries, in constant memory."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any


class BoundaryDeduper:
    """Drops records already yielded at the boundary second of an export iteration.

    A time-based export's next page starts at the previous page's ``end_time`` (its last record's second), so
    every record of that second comes again. A repeat is the same id with the same ordering timestamp; the same
    id with a newer timestamp is a newer version and is kept. Pages are ordered by timestamp, so only the
    records of the newest second seen so far can repeat: the set holds just those ``(id, ts)`` pairs and is
    replaced whenever a newer second starts, instead of growing with the export.

    Applied to cursor and routing exports too, where it is a cheap no-op unless a server repeats itself.
    """

    def __init__(self) -> None:
        self._second: int | None = None
        self._seen: set[tuple[Hashable, int]] = set()

    def fresh(
        self, records: Sequence[dict[str, Any]], stamps: Sequence[int], primary_key: str
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """The records (and their timestamps) not yielded before, in their order."""
        kept: list[dict[str, Any]] = []
        kept_stamps: list[int] = []
        for record, stamp in zip(records, stamps, strict=True):
            key = (record[primary_key], stamp)
            second = self._second
            if second is not None and stamp <= second:
                if key in self._seen:
                    continue
                if stamp == second:
                    self._seen.add(key)
            else:
                self._second = stamp
                self._seen = {key}
            kept.append(record)
            kept_stamps.append(stamp)
        return kept, kept_stamps
