"""Several processes on one account's files: writers take turns, readers open the published copy at any moment and
never make a writer wait, a SIGKILL (mid-write or mid-publish) loses nothing committed and a resume reaches the
exact truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.settings import PROJECT_ROOT
from zd_pipeline.warehouse import Warehouse, WarehouseLockedError

from .records import BASE, WINDOW, crash_page, crash_truth, page_checkpoint


def start_writer(*args: object, stdin: int | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "zd_pipeline_tests.warehouse.writer_process", *map(str, args)]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stdin=stdin, text=True)


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> list[str]:
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line.strip())
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"writer ended before printing {wanted!r}: {seen}")


def table(wh: Warehouse) -> dict[int, tuple[int, str]]:
    with wh.read() as con:
        rows = con.execute("SELECT id, generated_timestamp, status FROM tickets").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_writer_killed_mid_sync_loses_nothing_and_resumes_to_the_truth(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "crash.duckdb", 30, 300
    wh = Warehouse(db)
    for kill_after in (3, 9):  # killed twice, each time while it keeps writing pages
        writer = start_writer("pages", db, pages, size, 0)
        wait_for_line(writer, f"applied {kill_after}")
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        with wh.writing():  # the working file: what was committed
            committed = wh.load_checkpoint("tickets", *WINDOW)
            assert committed is not None and kill_after < committed.resume.start_time < pages
            assert not committed.complete
            # the rows are exactly those of the pages the checkpoint says were applied, none of the page in flight
            with wh.query() as con:
                rows = con.execute("SELECT id, generated_timestamp, status FROM tickets").fetchall()
            assert {r[0]: (r[1], r[2]) for r in rows} == crash_truth(range(committed.resume.start_time), size)
        published = wh.load_checkpoint("tickets", *WINDOW)  # the copy readers see: consistent in itself
        assert table(wh) == crash_truth(range(published.resume.start_time), size)
    finished = start_writer("pages", db, pages, size, 0)
    assert f"applied {pages - 1}" in finished.communicate(timeout=120)[0]
    assert table(wh) == crash_truth(range(pages), size)
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", pages, complete=True)


@pytest.mark.parametrize("step", ["copy", "rename"])
def test_a_writer_killed_mid_publish_leaves_the_published_file_whole_and_the_next_run_repairs(
    tmp_path: Path, step: str
) -> None:
    db, pages, size = tmp_path / "publish.duckdb", 4, 200
    writer = start_writer("stuck", db, pages, size, step)
    wait_for_line(writer, "stuck")
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    wh = Warehouse(db)
    assert wh.files.publishing.exists()  # the half-done copy, never the published file
    assert table(wh) == crash_truth(range(pages - 1), size)  # the publish before: whole, openable
    with wh.writing():  # the next writer removes the leftover and publishes what was committed
        assert not wh.files.publishing.exists()
    assert table(wh) == crash_truth(range(pages), size)
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", pages, complete=True)


def test_a_reader_during_a_sync_sees_whole_pages_only(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "read.duckdb", 25, 200
    wh = Warehouse(db)
    wh.ensure_tables()
    writer = start_writer("pages", db, pages, size, 0)
    counts = []
    while writer.poll() is None:
        with wh.read() as con:  # opens at once, whatever the writer is doing
            counts.append(con.execute("SELECT count(*) FROM tickets").fetchone()[0])
    assert writer.wait() == 0 and counts
    assert all(count % size == 0 for count in counts), counts  # each page adds exactly `size` new ids
    assert counts == sorted(counts)
    assert wh.row_count("tickets") == pages * size


HELD_SESSION = (  # a notebook left open: one read-only connection, asked for the ticket count on each line of stdin
    "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True)\n"
    "for _ in sys.stdin: print(c.execute('SELECT count(*) FROM tickets').fetchone()[0], flush=True)"
)


def test_a_session_held_open_across_two_syncs_never_stalls_them_and_keeps_answering(tmp_path: Path) -> None:
    db, size = tmp_path / "held.duckdb", 100
    Warehouse(db).apply_page(TICKETS, crash_page(0, size), page_checkpoint("tickets", 1))
    held = subprocess.Popen(
        [sys.executable, "-c", HELD_SESSION, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert held.stdin is not None and held.stdout is not None

    def held_count() -> int:
        held.stdin.write("count\n")
        held.stdin.flush()
        return int(held.stdout.readline())

    try:
        assert held_count() == size
        for pages in (3, 5):  # two syncs, each resuming where the last stopped
            writer = start_writer("pages", db, pages, size, 0, 5)
            out = writer.communicate(timeout=120)[0]
            assert writer.returncode == 0 and f"applied {pages - 1}" in out and "locked" not in out, out
            assert held_count() == size  # the copy it opened, still answering
            with duckdb.connect(str(db), read_only=True) as fresh:  # a new session: the new rows
                assert fresh.execute("SELECT count(*) FROM tickets").fetchone() == (pages * size,)
    finally:
        held.stdin.close()
        held.wait(timeout=30)


def test_while_a_writer_holds_the_lock_readers_get_in_and_another_writer_is_told_who_holds_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "session.duckdb"
    Warehouse(db).apply_page(TICKETS, crash_page(0, 50), page_checkpoint("tickets", 1))
    holder = start_writer("hold", db, stdin=subprocess.PIPE)
    try:
        wait_for_line(holder, "holding")
        with Warehouse(db).read() as con:
            assert con.execute("SELECT count(*) FROM tickets").fetchone() == (50,)
        locked = pytest.raises(WarehouseLockedError, match=f"writing {db} for over 0.3s.*Nothing committed was lost")
        with locked:
            Warehouse(db, lock_timeout=0.3).apply_page(TICKETS, crash_page(1, 50), page_checkpoint("tickets", 2))
    finally:
        holder.communicate("release\n", timeout=60)
    assert Warehouse(db).row_count("tickets") == 50


def test_two_writer_processes_at_once_both_land_every_page(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "two.duckdb", 12, 100
    Warehouse(db).ensure_tables()
    writers = [start_writer("pages", db, pages, size, offset) for offset in (0, 1000)]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert all(f"applied {pages - 1}" in out for out in outputs), outputs
    wh = Warehouse(db)
    assert table(wh) == crash_truth([*range(pages), *range(1000, 1000 + pages)], size)
    assert [c.complete for c in wh.checkpoints("tickets")] == [True, True]


def test_writer_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    db, size = tmp_path / "threads.duckdb", 100
    Warehouse(db).ensure_tables()
    errors: list[BaseException] = []

    def sync(offset: int) -> None:
        wh = Warehouse(db)
        window = (BASE + offset, BASE + offset + 86_400)
        try:
            for number in range(6):
                checkpoint = page_checkpoint("tickets", number + 1, window=window)
                wh.apply_page(TICKETS, crash_page(offset + number, size), checkpoint)
        except BaseException as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=sync, args=(offset,)) for offset in (0, 1000, 2000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert table(Warehouse(db)) == crash_truth([n + o for o in (0, 1000, 2000) for n in range(6)], size)
