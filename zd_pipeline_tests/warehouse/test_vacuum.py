"""The vacuum policy: a writer's checkpoint vacuums only when a table it wrote has dead rows or tiny row groups."""

from __future__ import annotations

import threading
import time

import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, page_writer, vacuum
from zd_pipeline.warehouse.connections import CATALOG
from zd_pipeline.warehouse.vacuum import TableShape

from .records import BASE, WINDOW, page_checkpoint, ticket

CP = page_checkpoint("tickets", 1)


def shape(wh: Warehouse) -> TableShape:
    with wh.read() as con:
        found = vacuum.table_shape(con, CATALOG, "zendesk", "tickets")
    assert found is not None
    return found


def count_vacuums(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    set_vacuum = page_writer._set_vacuum
    monkeypatch.setattr(page_writer, "_set_vacuum", lambda con, on: (calls.append(on), set_vacuum(con, on)))
    return calls


@pytest.mark.parametrize(
    ("stored", "live", "groups", "due"),
    [
        (1_000_000, 1_000_000, 84, False),  # a full sync's ~12,000-row groups: nothing to gain
        (1_200_000, 1_000_000, 84, False),  # a sixth dead
        (1_250_000, 1_000_000, 84, True),  # a fifth dead
        (1_000_000, 1_000_000, 300, True),  # 3,333 rows a group: many small syncs
        (3_000, 3_000, 16, True),
        (3_000, 3_000, 15, False),  # a small table's few groups: not worth a vacuum of every table in the file
        (300, 300, 1, False),
        (0, 0, 0, False),
    ],
)
def test_a_table_is_due_for_a_vacuum_on_dead_rows_or_tiny_row_groups(
    stored: int, live: int, groups: int, due: bool
) -> None:
    assert TableShape(stored, live, groups).due is due


def test_the_shape_counts_deleted_versions_until_a_vacuum_drops_them(wh: Warehouse) -> None:
    wh.apply_page(TICKETS, [ticket(i, BASE) for i in range(300)], CP)
    wh.apply_page(TICKETS, [ticket(i, BASE + 1) for i in range(100)], CP)  # 100 replaced: deleted, re-inserted
    before = shape(wh)
    assert (before.stored, before.live) == (400, 300) and before.row_groups == 2 and before.due
    with wh.holding():
        wh.apply_page(TICKETS, [ticket(0, BASE + 2)], CP)
    after = shape(wh)  # the hold's end vacuumed: the policy said due
    assert (after.stored, after.live, after.row_groups) == (300, 300, 1) and not after.due


def test_letting_go_does_not_vacuum_a_table_with_nothing_to_reclaim(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rows only, in groups of a healthy size: no vacuuming checkpoint, however often the writer lets go."""
    monkeypatch.setattr(vacuum, "MIN_ROWS_PER_GROUP", 100)  # the test's groups are 500 rows
    vacuums = count_vacuums(monkeypatch)
    with wh.holding(hold_seconds=3600):
        for n in range(4):
            wh.apply_page(TICKETS, [ticket(n * 500 + i, BASE) for i in range(500)], CP)
            wh.let_go()
    assert True not in vacuums and vacuums  # every take of the file turned vacuuming off; nothing turned it on
    assert shape(wh) == TableShape(2_000, 2_000, 4)


def test_many_small_syncs_do_not_pile_up_row_groups(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each hold's checkpoint starts a new row group; the policy merges them once there are many tiny ones."""
    groups = []
    for n in range(20):
        with wh.holding():  # one small sync
            wh.apply_page(TICKETS, [ticket(n * 10 + i, BASE) for i in range(10)], CP)
        groups.append(shape(wh).row_groups)
    assert groups[: vacuum.MIN_GROUPS - 1] == list(range(1, vacuum.MIN_GROUPS)), groups  # none due yet
    assert groups[vacuum.MIN_GROUPS - 1] == 1, str(groups)  # the sync making the 16th group merged them all
    monkeypatch.setattr(vacuum, "MIN_ROWS_PER_GROUP", 0)  # without the tiny-group rule they would pile up
    for n in range(20, 40):
        with wh.holding():
            wh.apply_page(TICKETS, [ticket(n * 10 + i, BASE) for i in range(10)], CP)
    assert shape(wh).row_groups >= 20 and wh.row_count("tickets") == 400
    assert wh.load_checkpoint("tickets", *WINDOW) == CP


def test_a_hold_that_let_go_on_time_still_vacuums_at_its_end(wh: Warehouse) -> None:
    """A writer lets go without vacuuming after a write once it has held the file ``hold_seconds`` (a fast sync
    does every 2 s); the tables written are still asked at the next vacuuming release (the end of the hold, an
    idle spell), which takes the file again for it. Until stop 22 they were forgotten: whether a sync ended with a
    vacuum depended on when its last write fell."""
    wh.apply_page(TICKETS, [ticket(i, BASE) for i in range(300)], CP)
    with wh.write() as con:  # the vacuum's nudge (vacuum.nudge) sets the table's comment to what it is
        con.execute("COMMENT ON TABLE zendesk.tickets IS 'our ''tickets'''")
    wh.apply_page(TICKETS, [ticket(i, BASE + 1) for i in range(100)], CP)
    assert shape(wh).due
    with wh.holding(hold_seconds=0):  # lets go after every write, without vacuuming
        wh.apply_page(TICKETS, [ticket(0, BASE + 2)], CP)
        assert shape(wh).stored == 401  # not vacuumed yet: the write let go on time
    after = shape(wh)
    assert (after.stored, after.live, after.row_groups) == (300, 300, 1)
    with wh.read() as con:
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'tickets'").fetchone()
        assert comment == ("our 'tickets'",)
        assert con.execute("SELECT count(DISTINCT id) FROM zendesk.tickets").fetchone() == (300,)


def test_idle_spells_leave_pending_tables_to_the_end_of_the_hold(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle spell does not take the file back only to ask (the writers of concurrent syncs would pass it back
    and forth); the end of the hold does, once."""
    vacuums = count_vacuums(monkeypatch)
    with wh.holding(hold_seconds=0):
        wh.apply_page(TICKETS, [ticket(i, BASE) for i in range(10)], CP)
        wh.let_go()
        wh.let_go()
        assert len(vacuums) == 1  # the write's take turned vacuuming off; the idle spells took nothing
    assert len(vacuums) == 2  # the end took the file to ask (nothing due: vacuuming stayed off)


def test_the_end_of_a_hold_waits_only_briefly_to_ask(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """With another writer on the file, the end of a hold gives up asking after ``VACUUM_TAKE_SECONDS`` (not the
    writer's 60 s lock timeout); nothing is raised and nothing is lost, the vacuum is left for a later sync."""
    monkeypatch.setattr(page_writer, "VACUUM_TAKE_SECONDS", 0.2)
    wh.apply_page(TICKETS, [ticket(i, BASE) for i in range(300)], CP)
    wh.apply_page(TICKETS, [ticket(i, BASE + 1) for i in range(100)], CP)
    other, holding, done = Warehouse(wh.path), threading.Event(), threading.Event()

    def other_writer() -> None:
        with other.session():
            holding.set()
            done.wait(30)

    thread = threading.Thread(target=other_writer)
    with wh.holding(hold_seconds=0):
        wh.apply_page(TICKETS, [ticket(0, BASE + 2)], CP)  # lets go after the write: the table is pending
        thread.start()
        assert holding.wait(10)
        ending = time.monotonic()
    waited = time.monotonic() - ending
    done.set()
    thread.join()
    assert waited < 10
    assert shape(wh).stored == 401 and wh.row_count("tickets") == 300
