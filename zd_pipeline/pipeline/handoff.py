"""The queue between the fetcher threads and the one writer, bounded by the bytes it holds.

Bounding by bytes rather than pages keeps memory flat whatever the number of streams and the size of their
records (a page of tickets holds ~100 times the bytes of a page of ticket metric events), while letting pages of
small records queue up cheaply into bigger write batches.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class Handoff:
    """Items with a byte size from several producers to one consumer, who takes everything waiting at once.

    :meth:`put` waits while adding the item would go over ``budget`` bytes, except into an empty queue (so an
    item larger than the budget still passes, alone).
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: deque[Any] = deque()
        self._bytes = 0
        self._changed = threading.Condition()

    def put(self, item: Any, size: int, stop: threading.Event) -> bool:
        """Queue ``item``; False (not queued) once ``stop`` is set while waiting for room."""
        with self._changed:
            while self._items and self._bytes + size > self.budget:
                if stop.is_set():
                    return False
                self._changed.wait(0.2)
            if stop.is_set():
                return False
            self._items.append(item)
            self._bytes += size
            self._changed.notify_all()
            return True

    def take_all(self, timeout: float | None = None) -> list[Any]:
        """Every queued item in arrival order, waiting up to ``timeout`` (None: forever) for one; [] on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._items, timeout):
                return []
            items = list(self._items)
            self._items.clear()
            self._bytes = 0
            self._changed.notify_all()
            return items
