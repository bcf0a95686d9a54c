"""Page application on real DuckDB files: newest wins, exactly once, checkpoint atomic with the rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zd_pipeline.catalogue import ROUTING_ATTRIBUTES, ROUTING_INSTANCE_VALUES, STREAMS, TICKET_EVENTS, TICKETS, USERS
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.clock import ManualClock
from zd_pipeline.warehouse import (
    BadRecordError,
    PageResult,
    Warehouse,
    WarehouseError,
    WarehouseMemoryError,
    sync_state,
)
from zd_pipeline.warehouse.ddl import table_columns

from .conftest import rows
from .records import BASE, WINDOW, page_checkpoint, ticket, user

CP = page_checkpoint("tickets", 1)


def test_ensure_tables_builds_every_catalogue_table_with_typed_columns_and_is_idempotent(wh: Warehouse) -> None:
    wh.ensure_tables()
    with wh.read() as con:
        for stream in STREAMS.values():
            described = con.execute(f"DESCRIBE {stream.table}").fetchall()
            assert [(r[0], r[1]) for r in described] == [
                (c.name, "TIMESTAMP WITH TIME ZONE" if c.type == "TIMESTAMPTZ" else c.type)
                for c in table_columns(stream)
            ]
            # NOT NULL, and unique by construction of the merge (no index: see warehouse.merge and the tests below)
            assert described[0][:3] == ("id", stream.id_type, "NO")
        assert con.execute("SELECT count(*) FROM _sync_state").fetchone() == (0,)


def test_same_page_twice_changes_nothing(wh: Warehouse, clock: ManualClock) -> None:
    page = [ticket(1, BASE + 5), ticket(2, BASE + 6, tags=[]), user(3, BASE) | {"id": 3, "generated_timestamp": BASE}]
    assert wh.apply_page(TICKETS, page, CP) == PageResult(received=3, written=3, ignored=0)
    before = rows(wh, "tickets")
    clock.advance(3600)
    assert wh.apply_page(TICKETS, page, CP) == PageResult(received=3, written=0, ignored=3)
    assert rows(wh, "tickets") == before


def test_out_of_order_pages_converge_to_the_newest_state(tmp_path: Path, clock: ManualClock) -> None:
    pages = [
        [ticket(1, BASE + 1), ticket(2, BASE + 1)],
        [ticket(1, BASE + 2, status="pending"), ticket(3, BASE + 2)],
        [ticket(2, BASE + 3, status="solved"), ticket(1, BASE + 3, status="solved")],
    ]
    tables = []
    for name, order in (("forward", (0, 1, 2)), ("backward", (2, 1, 0)), ("shuffled", (1, 2, 0))):
        wh = Warehouse(tmp_path / f"{name}.duckdb", clock=clock)
        for number in order:
            wh.apply_page(TICKETS, pages[number], CP)
        tables.append(rows(wh, "tickets", "id, status, _ordering_ts, _raw"))
    assert tables[0] == tables[1] == tables[2]
    assert [(r[0], r[1], r[2]) for r in tables[0]] == [
        (1, "solved", BASE + 3),
        (2, "solved", BASE + 3),
        (3, "open", BASE + 2),
    ]


def test_a_late_old_record_never_overwrites_a_newer_one(wh: Warehouse) -> None:
    wh.apply_page(TICKETS, [ticket(1, BASE + 100, status="solved")], CP)
    result = wh.apply_page(TICKETS, [ticket(1, BASE + 50, status="open"), ticket(2, BASE + 50)], CP)
    assert result == PageResult(received=2, written=1, ignored=1)
    assert rows(wh, "tickets", "id, status, generated_timestamp") == [(1, "solved", BASE + 100), (2, "open", BASE + 50)]


def test_an_equally_new_but_different_record_replaces_the_stored_one(wh: Warehouse) -> None:
    wh.apply_page(TICKETS, [ticket(1, BASE + 100, status="open")], CP)
    assert wh.apply_page(TICKETS, [ticket(1, BASE + 100, status="pending")], CP).written == 1
    assert rows(wh, "tickets", "status") == [("pending",)]


def test_duplicates_inside_a_page_keep_the_newest_and_on_ties_the_last(wh: Warehouse) -> None:
    page = [
        ticket(1, BASE + 9, status="newest"),
        ticket(1, BASE + 1, status="old"),
        ticket(2, BASE + 5, status="first"),
        ticket(2, BASE + 5, status="last"),
        ticket(3, BASE + 1, status="only"),
    ]
    assert wh.apply_page(TICKETS, page, CP) == PageResult(received=5, written=3, ignored=2)
    assert rows(wh, "tickets", "id, status") == [(1, "newest"), (2, "last"), (3, "only")]


def test_append_streams_insert_or_ignore_by_id(wh: Warehouse) -> None:
    checkpoint = page_checkpoint("ticket_events", 1)
    first = [{"id": 1, "ticket_id": 9, "timestamp": BASE, "event_type": "Audit", "child_events": [{"id": 5}]}]
    assert wh.apply_page(TICKET_EVENTS, first, checkpoint).written == 1
    later = [{"id": 1, "ticket_id": 9, "timestamp": BASE + 9, "event_type": "Changed"}, {"id": 2, "timestamp": BASE}]
    assert wh.apply_page(TICKET_EVENTS, later, checkpoint) == PageResult(received=2, written=1, ignored=1)
    assert rows(wh, "ticket_events", "id, event_type, child_events") == [(1, "Audit", '[{"id":5}]'), (2, None, None)]


def test_unknown_keys_never_fail_a_sync_and_stay_in_raw(wh: Warehouse) -> None:
    drifted = ticket(1, BASE, **{"brand_new_field": {"nested": ["x"]}, 'weird key "; DROP TABLE x; --': 1})
    assert wh.apply_page(TICKETS, [drifted], CP).written == 1
    with wh.read() as con:
        columns = [r[0] for r in con.execute("DESCRIBE tickets").fetchall()]
        assert columns == [c.name for c in table_columns(TICKETS)]  # no column was added
        raw = con.execute("SELECT _raw->'brand_new_field'->'nested'->>0, _raw FROM tickets").fetchone()
    assert raw[0] == "x" and '"weird key \\"; DROP TABLE x; --":1' in raw[1]


def test_values_that_no_longer_fit_their_column_become_null_but_stay_in_raw(wh: Warehouse) -> None:
    drifted = ticket(
        1,
        BASE,
        tags="not-a-list",
        requester_id="abc",
        has_incidents="yes",
        subject=123,
        created_at="garbage",
        due_at=BASE + 60,
        collaborator_ids=[1, "two"],
        via="plain string",
    )
    wh.apply_page(TICKETS, [drifted], CP)
    row = rows(
        wh,
        "tickets",
        "tags, requester_id, has_incidents, subject, created_at, epoch(due_at), "
        "collaborator_ids, via, _raw->>'requester_id'",
    )[0]
    assert row == (None, None, None, "123", None, BASE + 60, None, '"plain string"', "abc")


def test_huge_and_unicode_fields_round_trip_exactly(wh: Warehouse) -> None:
    huge = "Ünïcödé 🎫 中文 עברית \u0000 tab\t" * 150_000  # ≈ 5 MB
    page = [
        ticket(1, BASE, description=huge, subject="😀" * 1000, tags=["ß", "日本"]),
        ticket(2, BASE, subject="\ud800"),
    ]
    wh.apply_page(TICKETS, page, CP)
    stored = rows(wh, "tickets", "description, subject, tags, _raw->>'description', _raw->>'subject'")
    assert stored[0] == (huge, "😀" * 1000, ["ß", "日本"], huge, "😀" * 1000)
    assert stored[1][1] == stored[1][4] == "\ufffd"  # a lone surrogate is not Unicode: replaced, not fatal


def test_tombstones_keep_the_row_and_flag_it(wh: Warehouse) -> None:
    wh.apply_page(TICKETS, [ticket(1, BASE), ticket(2, BASE)], CP)
    wh.apply_page(TICKETS, [ticket(1, BASE + 1, status="deleted")], CP)
    assert rows(wh, "tickets", "id, status, _deleted") == [(1, "deleted", True), (2, "open", False)]
    users = page_checkpoint("users", 1)
    wh.apply_page(USERS, [user(7, BASE, active=False), user(8, BASE)], users)
    wh.apply_page(USERS, [user(8, BASE + 1, active=False)], users)
    assert rows(wh, "users", "id, active, _deleted") == [(7, False, True), (8, False, True)]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"subject": "no id", "generated_timestamp": BASE}, "record at position 1 .* no 'id'"),
        (
            {"id": 5, "subject": "no timestamp"},
            "record at position 1 \\(id 5\\) has no ordering field 'generated_timestamp'",
        ),
        (
            {"id": 5, "generated_timestamp": "yesterday"},
            "record at position 1 \\(id 5\\) has an unreadable 'generated_timestamp'",
        ),
        ({"id": "five", "generated_timestamp": BASE}, "record at position 1 has 'id' = 'five', which is not a BIGINT"),
    ],
)
def test_a_record_without_id_or_ordering_field_fails_the_whole_page(wh: Warehouse, record: dict, expected: str) -> None:
    with pytest.raises(BadRecordError, match=f"stream 'tickets': {expected}"):
        wh.apply_page(TICKETS, [ticket(1, BASE), record], CP)
    assert wh.row_count("tickets") == 0
    assert wh.checkpoints("tickets") == []


def test_the_checkpoint_commits_with_the_rows_or_not_at_all(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))

    real = sync_state.checkpoint_statements

    def failing_save(*args: object) -> tuple[str, list[object]]:
        # the checkpoint's statements fail inside DuckDB, after the page's rows were written in the same script
        script, parameters = real(*args)  # type: ignore[arg-type]
        return f"{script.split(';')[0]}; SELECT error('disk full (injected)') WHERE ? IS NOT NULL", parameters[:1]

    monkeypatch.setattr(sync_state, "checkpoint_statements", failing_save)
    with pytest.raises(WarehouseError, match=r"nothing of it was written: .*disk full"):
        wh.apply_page(
            TICKETS, [ticket(1, BASE + 5, status="solved"), ticket(2, BASE + 5)], page_checkpoint("tickets", 2)
        )
    assert rows(wh, "tickets", "id, status") == [(1, "open")]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 1)


def test_checkpoints_round_trip_and_reads_of_an_empty_warehouse(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "new.duckdb")
    assert wh.load_checkpoint("tickets", 0, 1) is None
    assert wh.high_water_mark("tickets") is None and wh.row_count("tickets") == 0 and wh.checkpoints("tickets") == []
    cursor = Checkpoint("tickets", 0, 86_400, ResumePoint(cursor="MTU3NjYxMzUzOS4wfHw0Njd8"), BASE + 7, False)
    done = Checkpoint("tickets", 86_400, 172_800, ResumePoint(start_time=BASE + 9), BASE + 9, True)
    wh.apply_page(TICKETS, [], done)
    wh.apply_page(TICKETS, [ticket(1, BASE + 7), ticket(2, BASE + 3)], cursor)
    assert wh.load_checkpoint("tickets", 0, 86_400) == cursor
    assert wh.checkpoints("tickets") == [cursor, done]
    assert wh.high_water_mark("tickets") == BASE + 7 and wh.row_count("tickets") == 2
    assert wh.checkpoints("users") == [] and wh.high_water_mark("users") is None


def test_a_checkpoint_of_another_stream_is_refused(wh: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="checkpoint for stream 'users' given with a page of 'tickets'"):
        wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("users", 1))


def test_ensure_tables_adds_columns_a_newer_catalogue_declares(wh: Warehouse, tmp_path: Path) -> None:
    with wh.write() as con:
        con.execute("ALTER TABLE tickets DROP COLUMN priority")
    fresh = Warehouse(wh.path)
    fresh.ensure_tables()
    fresh.apply_page(TICKETS, [ticket(1, BASE, priority="urgent")], CP)
    assert rows(fresh, "tickets", "priority") == [("urgent",)]


def test_a_writing_block_applies_many_pages_on_one_connection_and_publishes_once_at_its_end(wh: Warehouse) -> None:
    published = wh.path.stat().st_ino
    with wh.writing() as session:
        with session.write() as first, session.query() as second:
            assert first is second  # one connection for the whole block
        for number in range(5):
            session.apply_page(TICKETS, [ticket(number, BASE + number)], page_checkpoint("tickets", number + 1))
        with pytest.raises(BadRecordError):
            session.apply_page(TICKETS, [ticket(9, BASE), {"id": 10}], page_checkpoint("tickets", 99))
        with session.writing():  # re-entrant
            session.apply_page(TICKETS, [ticket(5, BASE + 5)], page_checkpoint("tickets", 6))
        assert session.row_count("tickets") == 6  # the working file, inside the block
        assert wh.path.stat().st_ino == published and rows(wh, "tickets") == []  # readers: the last publish
    assert wh.path.stat().st_ino != published
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 6)
    assert [r[0] for r in rows(wh, "tickets", "id")] == [0, 1, 2, 3, 4, 5]


def test_plain_names_resolve_in_a_fresh_read_only_session(tmp_path: Path) -> None:
    """No schema named after the account: ``tickets`` and ``<file stem>.tickets`` both name the raw table."""
    wh = Warehouse(tmp_path / "zendesk.duckdb")
    wh.apply_page(TICKETS, [ticket(1, BASE), ticket(2, BASE, status="solved")], CP)
    with duckdb.connect(str(wh.path), read_only=True) as con:
        by_status = "SELECT status, count(*) FROM tickets GROUP BY ALL ORDER BY status"
        assert con.execute(by_status).fetchall() == [("open", 1), ("solved", 1)]
        assert con.execute("SELECT count(*) FROM zendesk.tickets").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM _sync_state").fetchone() == (1,)


def test_routing_tables_hold_the_newest_state_per_id_and_history_every_change(wh: Warehouse) -> None:
    def change(id_: str, second: int, type_: str, value: str) -> dict:
        time = f"2024-05-01T10:00:{second:02d}Z"
        return {"id": id_, "time": time, "type": type_, "attribute_value_id": value, "instance_id": "7"}

    first = [change("iv-a", 1, "associate_agent", "s1"), change("iv-b", 2, "associate_agent", "s2")]
    checkpoint = page_checkpoint("routing_instance_values", 1)
    wh.apply_page(ROUTING_INSTANCE_VALUES, first, checkpoint)
    later = [first[1], change("iv-a", 5, "unassociate_agent", "s1"), change("iv-b", 3, "associate_agent", "s2")]
    older = [change("iv-b", 0, "associate_agent", "s2")]  # a change older than the stored state: history only
    wh.apply_pages(ROUTING_INSTANCE_VALUES, [later, older], checkpoint)
    wh.apply_pages(ROUTING_INSTANCE_VALUES, [later], checkpoint)  # a page read again adds nothing
    assert rows(wh, "routing_instance_values", "id, type, epoch(time), _deleted") == [
        ("iv-a", "unassociate_agent", 1714557605, True),
        ("iv-b", "associate_agent", 1714557603, False),
    ]
    history = rows(wh, "routing_instance_values_history", "id, type, epoch(time), _deleted", "id, time")
    assert history == [
        ("iv-a", "associate_agent", 1714557601, False),
        ("iv-a", "unassociate_agent", 1714557605, True),
        ("iv-b", "associate_agent", 1714557600, False),
        ("iv-b", "associate_agent", 1714557602, False),
        ("iv-b", "associate_agent", 1714557603, False),
    ]


def test_a_failed_page_leaves_neither_state_nor_history(wh: Warehouse) -> None:
    good = {"id": "attr-1", "time": "2024-05-01T10:00:00Z", "type": "create", "name": "Language"}
    with pytest.raises(BadRecordError):
        wh.apply_page(ROUTING_ATTRIBUTES, [good, {"type": "update"}], page_checkpoint("routing_attributes", 1))
    wh.ensure_tables()
    assert rows(wh, "routing_attributes") == [] and rows(wh, "routing_attributes_history") == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pages=st.lists(
        st.lists(st.tuples(st.integers(1, 8), st.integers(0, 5), st.sampled_from(["open", "solved"])), max_size=6),
        min_size=1,
        max_size=5,
    ),
    batch_size=st.integers(1, 3),
)
def test_any_sequence_of_pages_leaves_the_newest_version_of_each_ticket(
    tmp_path_factory: pytest.TempPathFactory, pages: list[list[tuple[int, int, str]]], batch_size: int
) -> None:
    """Applied one by one or ``batch_size`` pages per transaction: the same newest version of each id, once."""
    wh = Warehouse(tmp_path_factory.mktemp("prop") / "p.duckdb")
    truth: dict[int, tuple[int, str]] = {}
    for page in pages:
        newest: dict[int, tuple[int, str]] = {}
        for ticket_id, version, status in page:  # inside a page: newest wins, ties → last
            if ticket_id not in newest or version >= newest[ticket_id][0]:
                newest[ticket_id] = (version, status)
        for ticket_id, (version, status) in newest.items():  # across pages: not older wins (applied order)
            if ticket_id not in truth or version >= truth[ticket_id][0]:
                truth[ticket_id] = (version, status)
    records = [[ticket(i, BASE + v, status=s) for i, v, s in page] for page in pages]
    for first in range(0, len(records), batch_size):
        batch = records[first : first + batch_size]
        results = wh.apply_pages(TICKETS, batch, CP)
        assert [r.received for r in results] == [len(p) for p in batch]
    stored = rows(wh, "tickets", "id, generated_timestamp, status") if truth else []
    assert len(stored) == len({r[0] for r in stored})  # ids stay unique without a primary key
    assert {r[0]: (r[1] - BASE, r[2]) for r in stored} == truth


def test_a_batch_of_pages_commits_with_the_last_checkpoint_and_counts_per_page(wh: Warehouse) -> None:
    wh.apply_page(TICKETS, [ticket(1, BASE + 5, status="stored")], CP)
    pages = [
        [ticket(1, BASE + 6, status="newer"), ticket(2, BASE + 1)],  # 1 replaced later in the batch, 2 kept
        [ticket(1, BASE + 7, status="newest"), ticket(3, BASE + 1, status="old")],
        [ticket(3, BASE + 1, status="same second, later page"), ticket(2, BASE)],  # 2 older: ignored
    ]
    results = wh.apply_pages(TICKETS, pages, page_checkpoint("tickets", 3))
    assert results == [
        PageResult(received=2, written=1, ignored=1),
        PageResult(received=2, written=1, ignored=1),
        PageResult(received=2, written=1, ignored=1),
    ]
    assert rows(wh, "tickets", "id, status") == [(1, "newest"), (2, "open"), (3, "same second, later page")]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 3)
    again = wh.apply_pages(TICKETS, pages, page_checkpoint("tickets", 3))  # a resume re-reading the batch
    assert sum(r.written for r in again) == 0 and rows(wh, "tickets", "id, status")[0] == (1, "newest")
    with pytest.raises(BadRecordError):  # one bad page: nothing of the batch, checkpoint unchanged
        wh.apply_pages(TICKETS, [[ticket(4, BASE)], [{"id": 5}]], page_checkpoint("tickets", 5))
    assert wh.row_count("tickets") == 3 and wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 3)


def test_running_out_of_memory_names_the_setting_and_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "zendesk.duckdb"
    Warehouse(path).apply_page(TICKETS, [ticket(i, BASE) for i in range(100)], CP)
    tiny = Warehouse(path, memory_limit="1MB")
    big_page = [ticket(i, BASE + 1, description="x" * 2000) for i in range(5000)]
    with pytest.raises(WarehouseMemoryError, match=r"limit 1MB, set by ZD_DUCKDB_MEMORY_LIMIT.*Raise ZD_DUCKDB"):
        tiny.apply_page(TICKETS, big_page, page_checkpoint("tickets", 2))
    wh = Warehouse(path)
    with wh.writing():  # the working file: nothing of the failed page, the checkpoint before it
        assert wh.row_count("tickets") == 100 and wh.load_checkpoint("tickets", *WINDOW) == CP
    assert wh.row_count("tickets") == 100  # and the published copy
    wh.apply_page(TICKETS, big_page, page_checkpoint("tickets", 2))  # the next run, with enough memory
    assert wh.row_count("tickets") == 5000
