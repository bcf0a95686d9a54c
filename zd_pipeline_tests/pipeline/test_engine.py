"""The sync engine against a real DuckDB file, with pages handed out by a stand-in client (no HTTP here: the
client's behaviour is proven against the simulator elsewhere; this is about how pages reach the warehouse)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from zd_pipeline.catalogue import TICKETS, USERS, Stream
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import Page
from zd_pipeline.pipeline.engine import StreamJob, streams_as_they_end, sync_streams
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.warehouse.records import BASE, ticket, user

WINDOW_END = BASE + 86_400


class ScriptedClient:
    """Hands out the pages given per stream; before a stream's page ``pause_before`` it waits for ``resume``."""

    def __init__(self, pages: dict[str, list[list[dict]]], pause_before: int | None = None) -> None:
        self.pages, self.pause_before = pages, pause_before
        self.paused, self.resume = threading.Event(), threading.Event()

    def iter_pages(self, stream: Stream, start: ResumePoint, end_time: int | None = None) -> Iterator[Page]:
        pages = self.pages[stream.name]
        for number, records in enumerate(pages):
            if number == self.pause_before:
                self.paused.set()
                assert self.resume.wait(30), "the test never resumed the client"
            last = number == len(pages) - 1
            yield Page(stream.name, records, ResumePoint(start_time=BASE + number + 1), BASE + number, last, None)


def job(stream: Stream) -> StreamJob:
    return StreamJob(stream, BASE, WINDOW_END, WINDOW_END, ResumePoint(start_time=BASE))


def test_while_the_writer_waits_for_pages_readers_see_what_it_published(tmp_path: Path) -> None:
    db = tmp_path / "engine.duckdb"
    wh = Warehouse(db, publish_seconds=0)  # publish after every batch (a sync: every few minutes)
    wh.ensure_tables()
    client = ScriptedClient({"tickets": [[ticket(i, BASE + 1) for i in range(50)], [ticket(99, BASE + 2)]]}, 1)
    applied, results = threading.Event(), {}

    def run() -> None:
        results.update(sync_streams(client, wh, [job(TICKETS)], on_page=lambda *_: applied.set()))  # type: ignore[arg-type]

    done = threading.Thread(target=run)
    done.start()
    try:
        assert applied.wait(30) and client.paused.wait(30)
        for _ in range(100):  # the batch's publish follows its commit
            with duckdb.connect(str(db), read_only=True) as con:  # opens at once: the writer never holds it
                if con.execute("SELECT count(*) FROM tickets").fetchone() == (50,):
                    break
            applied.wait(0.05)
        else:
            raise AssertionError("the committed page was never published")
    finally:
        client.resume.set()
        done.join(30)
    assert results["tickets"].error is None and results["tickets"].fetched == 51
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (51,)


def test_a_page_that_cannot_be_converted_fails_its_stream_only(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bad.duckdb")
    pages = {
        "tickets": [[ticket(1, BASE + 1)], [{"id": 2, "subject": "no timestamps"}], [ticket(3, BASE + 3)]],
        "users": [[user(7, BASE + 1)], [user(8, BASE + 2)]],
    }
    results = sync_streams(ScriptedClient(pages), wh, [job(TICKETS), job(USERS)])  # type: ignore[arg-type]
    assert "stream 'tickets': record at position 0" in str(results["tickets"].error)
    assert results["users"].error is None and results["users"].fetched == 2
    assert wh.row_count("tickets") == 1 and wh.row_count("users") == 2
    committed = wh.load_checkpoint("tickets", BASE, WINDOW_END)
    assert committed is not None and committed.resume == ResumePoint(start_time=BASE + 1)


def test_a_stream_is_reported_as_it_ends_while_the_others_page(tmp_path: Path) -> None:
    db = tmp_path / "ends.duckdb"
    wh = Warehouse(db)
    wh.ensure_tables()
    tickets = ScriptedClient({"tickets": [[ticket(1, BASE + 1)], [ticket(2, BASE + 2)]]}, pause_before=1)
    users = ScriptedClient({"users": [[user(7, BASE + 1)], [user(8, BASE + 2)]]})

    class Both:
        def iter_pages(self, stream: Stream, start: ResumePoint, end_time: int | None = None) -> Iterator[Page]:
            return (tickets if stream.name == "tickets" else users).iter_pages(stream, start, end_time)

    ended = streams_as_they_end(Both(), wh, [job(TICKETS), job(USERS)])  # type: ignore[arg-type]
    try:
        first = next(ended)
        assert first.stream == "users" and first.fetched == 2 and first.complete
        assert not tickets.resume.is_set()  # tickets is still paging (held before its second page)
        assert wh.row_count("users") == 2  # committed (the writer's own view; published with the run's end)
        tickets.resume.set()
        second = next(ended)
        assert second.stream == "tickets" and second.fetched == 2 and second.error is None
        assert next(ended, None) is None
    finally:
        tickets.resume.set()
        ended.close()
    with duckdb.connect(str(db), read_only=True) as con:  # the end published both streams
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM users").fetchone() == (2,)
