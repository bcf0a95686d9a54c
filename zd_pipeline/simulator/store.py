"""One stream's records in export order: a lazily rendered base history plus an overlay of live changes.

Positions ``[0, base)`` are the generated history (timestamps in a sorted numpy array, records rendered on
demand); positions ``[base, base + len(overlay))`` are records written by mutations, all newer than the base.
For upsert streams a mutated record's base position is *superseded* (skipped) and its newest version lives in
the overlay, so the store always holds exactly one version per id, at its newest ordering timestamp: what
Zendesk's export serves. Change-log streams (``Stream.history_key``: routing) are upsert tables but their export
serves every change, so nothing of theirs is superseded. The order is (ordering timestamp, id) throughout.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from zd_pipeline.catalogue import Stream, WriteMode

Render = Callable[[list[int]], list[dict[str, Any]]]


@dataclass
class BaseHistory:
    """The generated part of a stream: sorted timestamps, a renderer, and id look-ups by position."""

    ts: np.ndarray
    render: Render
    id_at: Callable[[int], Any]
    position_of: Callable[[Any], int | None] = lambda _id: None
    tombstones: np.ndarray | None = None
    render_json: Callable[[list[int]], list[bytes]] | None = None  # a faster path to the same JSON, if any

    def __len__(self) -> int:
        return int(self.ts.shape[0])


class StreamStore:
    """Ordered access to one stream; not thread-safe on its own (the simulator holds a lock)."""

    def __init__(self, stream: Stream, base: BaseHistory) -> None:
        self.stream = stream
        self.base = base
        self.base_len = len(base)
        self.superseded: set[int] = set()  # positions (base or overlay) holding an outdated version
        self.overlay: list[tuple[int, Any, dict[str, Any]]] = []
        self.newest: dict[Any, int] = {}  # upsert id -> overlay position of its current version

    def __len__(self) -> int:
        return self.base_len + len(self.overlay)

    def ts_at(self, pos: int) -> int:
        return int(self.base.ts[pos]) if pos < self.base_len else self.overlay[pos - self.base_len][0]

    def id_at(self, pos: int) -> Any:
        return self.base.id_at(pos) if pos < self.base_len else self.overlay[pos - self.base_len][1]

    def is_tombstone(self, pos: int) -> bool:
        tomb = self.stream.tombstone
        if tomb is None:
            return False
        if pos < self.base_len:
            return self.base.tombstones is not None and bool(self.base.tombstones[pos])
        return tomb.marks(self.overlay[pos - self.base_len][2].get(tomb.field))

    def records(self, positions: list[int]) -> list[dict[str, Any]]:
        """Records at ``positions`` (ascending), base ones rendered in one batch."""
        base = [p for p in positions if p < self.base_len]
        out = self.base.render(base) if base else []
        out.extend(self.overlay[p - self.base_len][2] for p in positions if p >= self.base_len)
        return out

    def records_json(self, positions: list[int]) -> list[bytes]:
        """The same records as :meth:`records`, each as a JSON document."""
        base = [p for p in positions if p < self.base_len]
        if not base:
            out = []
        elif self.base.render_json is not None:
            out = self.base.render_json(base)
        else:
            out = [orjson.dumps(r) for r in self.base.render(base)]
        out.extend(orjson.dumps(self.overlay[p - self.base_len][2]) for p in positions if p >= self.base_len)
        return out

    def first_at_or_after(self, ts: int) -> int:
        """The first position whose timestamp is >= ``ts``."""
        pos = int(np.searchsorted(self.base.ts, ts, side="left"))
        if pos < self.base_len:
            return pos
        return self.base_len + bisect.bisect_left(self.overlay, ts, key=lambda item: item[0])

    def first_after(self, ts: int, record_id: Any) -> int:
        """The first position strictly after (``ts``, ``record_id``) in export order (a cursor's successor)."""
        lo = int(np.searchsorted(self.base.ts, ts, side="left"))
        hi = int(np.searchsorted(self.base.ts, ts, side="right"))
        pos = lo + bisect.bisect_right(range(lo, hi), record_id, key=self.base.id_at)
        if pos < self.base_len:
            return pos
        return self.base_len + bisect.bisect_right(self.overlay, (ts, record_id), key=lambda item: item[:2])

    def scan(self, pos: int, limit_ts: int) -> Iterator[int]:
        """Live positions from ``pos`` on whose timestamp is <= ``limit_ts``."""
        base_end = int(np.searchsorted(self.base.ts, limit_ts, side="right"))
        superseded = self.superseded
        for p in range(pos, base_end):
            if p not in superseded:
                yield p
        for p in range(max(pos, self.base_len), len(self)):
            if self.overlay[p - self.base_len][0] > limit_ts:
                return
            if p not in superseded:
                yield p

    # --- writes (mutations) -------------------------------------------------------------------------------------

    def knows(self, record_id: Any) -> bool:
        """True when an upsert record with this id exists (in the history or written since)."""
        return record_id in self.newest or self.base.position_of(record_id) is not None

    def latest(self, record_id: Any) -> dict[str, Any] | None:
        """The current version of an upsert record, or None if unknown."""
        if record_id in self.newest:
            return self.overlay[self.newest[record_id] - self.base_len][2]
        pos = self.base.position_of(record_id)
        if pos is None or pos in self.superseded:
            return None
        return self.base.render([pos])[0]

    def write(self, record: dict[str, Any]) -> None:
        """Add a record (its timestamp must not be older than anything stored); an upsert supersedes the id's
        previous version, wherever it is, in O(1)."""
        ts = self.stream.ordering_epoch(record)
        record_id = record[self.stream.primary_key]
        if self.overlay and (ts, record_id) < self.overlay[-1][:2]:
            raise ValueError(f"{self.stream.name}: write out of order at ts={ts}, id={record_id}")
        if self.stream.write_mode is WriteMode.UPSERT and not self.stream.history_key:
            previous = self.newest.get(record_id)
            if previous is None:
                previous = self.base.position_of(record_id)
            if previous is not None:
                self.superseded.add(previous)
            self.newest[record_id] = len(self)
        self.overlay.append((ts, record_id, record))
