"""The store keeps export order and exactly one current version per upsert id."""

from __future__ import annotations

import numpy as np
import pytest

from zd_pipeline.catalogue import ORGANIZATIONS, TICKET_EVENTS
from zd_pipeline.simulator.isotime import iso
from zd_pipeline.simulator.store import BaseHistory, StreamStore


def org(org_id: int, ts: int) -> dict:
    return {"id": org_id, "updated_at": iso(ts), "name": f"org {org_id} at {ts}"}


@pytest.fixture
def store() -> StreamStore:
    records = [org(1, 100), org(2, 100), org(3, 200), org(4, 300)]
    base = BaseHistory(
        ts=np.array([100, 100, 200, 300], dtype=np.int64),
        render=lambda positions: [records[p] for p in positions],
        id_at=lambda p: records[p]["id"],
        position_of=lambda record_id: record_id - 1 if 1 <= record_id <= 4 else None,
    )
    return StreamStore(ORGANIZATIONS, base)


def live(store: StreamStore) -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in store.records(list(store.scan(0, 10_000)))]


def test_an_upsert_supersedes_the_old_version_wherever_it_is(store: StreamStore) -> None:
    store.write(org(2, 400))
    store.write(org(5, 400))
    store.write(org(2, 500))
    assert live(store) == [
        (1, "org 1 at 100"),
        (3, "org 3 at 200"),
        (4, "org 4 at 300"),
        (5, "org 5 at 400"),
        (2, "org 2 at 500"),
    ]
    assert store.latest(2)["name"] == "org 2 at 500" and store.latest(9) is None
    assert store.knows(5) and not store.knows(9)


def test_positions_by_time_and_by_cursor(store: StreamStore) -> None:
    store.write(org(6, 400))
    assert store.first_at_or_after(100) == 0 and store.first_at_or_after(101) == 2
    assert store.first_at_or_after(301) == 4 and store.first_at_or_after(401) == 5
    assert store.first_after(100, 1) == 1 and store.first_after(100, 2) == 2 and store.first_after(300, 4) == 4
    assert list(store.scan(0, 200)) == [0, 1, 2]


def test_writes_out_of_order_are_refused(store: StreamStore) -> None:
    store.write(org(7, 400))
    with pytest.raises(ValueError, match="out of order"):
        store.write(org(8, 399))


def test_append_streams_keep_every_event() -> None:
    base = BaseHistory(np.array([], dtype=np.int64), lambda positions: [], lambda p: p)
    events = StreamStore(TICKET_EVENTS, base)
    for n in range(3):
        events.write({"id": n, "timestamp": 10, "child_events": []})
    assert [r["id"] for r in events.records(list(events.scan(0, 10)))] == [0, 1, 2]
