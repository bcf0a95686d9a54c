"""Thread-safe request and record counters, in total and per stream, for run metadata and benchmarks."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class StreamCounts:
    """A snapshot of one stream's counters (or of the totals).

    ``requests`` counts every HTTP request sent (retries included); ``retries`` counts the re-sends;
    ``responses_429`` and ``timeouts`` count those outcomes; ``pages`` and ``records`` count what was yielded
    (records after boundary de-duplication); ``repeats_dropped`` counts the boundary repeats removed.
    """

    requests: int = 0
    responses_429: int = 0
    retries: int = 0
    timeouts: int = 0
    pages: int = 0
    records: int = 0
    repeats_dropped: int = 0

    def plus(self, other: StreamCounts) -> StreamCounts:
        return StreamCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


COUNTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(StreamCounts))


class ClientStats:
    """Counters shared by every thread using one client. Reads return consistent snapshots.

    ``stats.requests`` (and the other counter names) are totals over all streams; ``stats.for_stream(name)`` and
    ``stats.streams`` give per-stream snapshots.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, dict[str, int]] = {}

    def add(self, stream: str, counter: str, amount: int = 1) -> None:
        """Increase one counter of one stream (``counter`` is one of ``COUNTER_NAMES``)."""
        if counter not in COUNTER_NAMES:
            raise ValueError(f"unknown counter {counter!r}; known: {', '.join(COUNTER_NAMES)}")
        with self._lock:
            counts = self._streams.setdefault(stream, dict.fromkeys(COUNTER_NAMES, 0))
            counts[counter] += amount

    def for_stream(self, stream: str) -> StreamCounts:
        with self._lock:
            return StreamCounts(**self._streams.get(stream, {}))

    @property
    def streams(self) -> dict[str, StreamCounts]:
        with self._lock:
            return {name: StreamCounts(**counts) for name, counts in self._streams.items()}

    @property
    def total(self) -> StreamCounts:
        result = StreamCounts()
        for counts in self.streams.values():
            result = result.plus(counts)
        return result

    # Totals by counter name, typed for callers: stats.requests, stats.responses_429, ...
    @property
    def requests(self) -> int:
        return self.total.requests

    @property
    def responses_429(self) -> int:
        return self.total.responses_429

    @property
    def retries(self) -> int:
        return self.total.retries

    @property
    def timeouts(self) -> int:
        return self.total.timeouts

    @property
    def pages(self) -> int:
        return self.total.pages

    @property
    def records(self) -> int:
        return self.total.records

    @property
    def repeats_dropped(self) -> int:
        return self.total.repeats_dropped

    def __repr__(self) -> str:
        return f"ClientStats({self.total.to_dict()})"
