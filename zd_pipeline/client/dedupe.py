"""Removing the items a time-based export repeats across page boundaries, in constant memory."""

from __future__ import annotations

from collections.abc import Hashable

from zd_pipeline.records import RawRecords


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

    def fresh(self, records: RawRecords) -> RawRecords:
        """The records not yielded before, in their order."""
        kept: list[int] = []
        seen, second = self._seen, self._second
        for position, (record_id, stamp) in enumerate(zip(records.ids, records.stamps, strict=True)):
            key = (record_id, stamp)
            if second is not None and stamp <= second:
                if key in seen:
                    continue
                if stamp == second:
                    seen.add(key)
            else:
                second, seen = stamp, {key}
            kept.append(position)
        self._seen, self._second = seen, second
        return records if len(kept) == len(records) else records.select(kept)
