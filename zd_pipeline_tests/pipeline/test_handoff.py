"""The byte-bounded handoff between fetchers and the writer (a unit: threads and events, no I/O)."""

from __future__ import annotations

import threading

from zd_pipeline.pipeline.handoff import Handoff


def test_producers_wait_for_room_by_bytes_and_the_writer_takes_everything_waiting() -> None:
    handoff, stop = Handoff(budget=100), threading.Event()
    assert handoff.put("a", 60, stop) and handoff.put("b", 40, stop)  # exactly the budget
    blocked = threading.Thread(target=handoff.put, args=("c", 1, stop))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # no room for one more byte
    assert handoff.take_all(0) == ["a", "b"]
    blocked.join(5)
    assert not blocked.is_alive() and handoff.take_all(0) == ["c"]


def test_an_item_larger_than_the_budget_passes_alone_and_stop_unblocks_a_waiting_producer() -> None:
    handoff, stop = Handoff(budget=10), threading.Event()
    assert handoff.put("huge", 1_000, stop)  # into an empty queue: never a deadlock
    result: list[bool] = []
    waiting = threading.Thread(target=lambda: result.append(handoff.put("next", 1, stop)))
    waiting.start()
    stop.set()
    waiting.join(5)
    assert result == [False] and handoff.take_all(0) == ["huge"]


def test_take_all_times_out_empty() -> None:
    assert Handoff(budget=10).take_all(0.01) == []
