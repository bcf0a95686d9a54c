"""DuckDB memory budgets: a write or check that runs out is retried with twice the limit, up to a ceiling.

Real DuckDB files, with the starting limit lowered so a page of a few thousand tickets runs out the way a big
account's update did at 64 MB (bench scale, stop 17).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import duckdb
import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.clock import ManualClock
from zd_pipeline.warehouse import (
    MemoryBudget,
    Warehouse,
    WarehouseError,
    connections,
    file_access,
    growing,
    is_out_of_memory,
    memory,
    page_budget,
    vacuum_budget,
)

from .conftest import rows
from .records import BASE, WINDOW, page_checkpoint, ticket

PAGE = 5_000


def _page(version: int) -> list[dict]:
    return [ticket(i, BASE + version, description="x" * 300) for i in range(1, PAGE + 1)]


def _warehouse(tmp_path: Path, clock: ManualClock) -> Warehouse:
    wh = Warehouse(tmp_path / "zendesk.duckdb", clock=clock)
    wh.ensure_tables()
    return wh


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=BASE + 10_000_000)


# 4 MB runs out inside the merge's statements, 8 MB in DuckDB's commit ("Failed to commit: could not allocate")
@pytest.mark.parametrize("start_mb", [4, 8])
@pytest.mark.parametrize("held", [True, False], ids=["held by a sync's writer", "one write"])
def test_a_write_that_runs_out_of_memory_is_applied_again_with_twice_the_limit(
    tmp_path: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    start_mb: int,
    held: bool,
) -> None:
    monkeypatch.setattr(memory, "PAGE_START_MB", start_mb)
    wh = _warehouse(tmp_path, clock)
    caplog.set_level(logging.WARNING, logger="zd_pipeline.warehouse.warehouse")
    with wh.holding() if held else contextlib.nullcontext():
        result = wh.apply_page(TICKETS, _page(1), page_checkpoint("tickets", 1))
        again = wh.apply_page(TICKETS, _page(1), page_checkpoint("tickets", 2))
        newer = wh.apply_page(TICKETS, _page(2), page_checkpoint("tickets", 3))
    assert (result.written, again.written, newer.written) == (PAGE, 0, PAGE)
    assert rows(wh, "tickets", "count(*), count(DISTINCT id), min(_ordering_ts)", "1") == [(PAGE, PAGE, BASE + 2)]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 3)
    assert int(page_budget(wh.path).limit.removesuffix("MB")) > start_mb
    assert any(f"ran out of its {start_mb}MB memory limit" in r.getMessage() for r in caplog.records)


def test_a_session_whose_commit_checkpoint_runs_out_attaches_the_file_again_and_applies_the_batch_once_more(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A checkpoint failing inside a commit makes DuckDB invalidate the attached file: every later statement on it
    fails ("Detach and reattach it"). The session used to retry on the dead catalog, doubling the budget to the
    ceiling (and keeping that for the file) before failing with a misleading "run where more memory is free".
    The bench's tickets (varied text, ~30 fields) are what make that checkpoint, not the commit, run out."""
    from bench.tickets import as_page
    from bench.tickets import ticket as bench_ticket

    monkeypatch.setattr(memory, "PAGE_START_MB", 16)
    monkeypatch.setattr(file_access, "SESSION_CHECKPOINT_THRESHOLD", "1MB")  # every commit checkpoints
    wh = _warehouse(tmp_path, clock)
    caplog.set_level(logging.WARNING, logger="zd_pipeline.warehouse.warehouse")
    pages = [as_page([bench_ticket(i, 0) for i in range(first, first + 10_000)]) for first in (1, 10_001, 10_001)]
    with wh.session():
        written = [wh.apply_page(TICKETS, page, page_checkpoint("tickets", n)).written for n, page in enumerate(pages)]
        assert rows(wh, "tickets", "count(*), count(DISTINCT id)", "1") == [(20_000, 20_000)]
    assert written == [10_000, 10_000, 0]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 2)
    grew = [r.getMessage() for r in caplog.records if "memory limit writing" in r.getMessage()]
    assert grew and "has been invalidated" in grew[0]  # the case under test happened
    assert page_budget(wh.path).limit == "32MB"  # grown once, not to the ceiling


def test_at_the_ceiling_the_error_says_so_and_nothing_is_written(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "PAGE_START_MB", 4)
    monkeypatch.setattr(memory, "CEILING_MAX_MB", 4)
    wh = _warehouse(tmp_path, clock)
    wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    with pytest.raises(WarehouseError, match="memory limit for writes was already raised to 4MB") as raised:
        wh.apply_page(TICKETS, _page(5), page_checkpoint("tickets", 2))
    assert is_out_of_memory(raised.value)
    assert rows(wh, "tickets", "id, _ordering_ts") == [(1, BASE)]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 1)


_INVALIDATED = (
    'IO Error: Database "zd_warehouse" has been invalidated because checkpointing failed. Detach and reattach it '
    "before using it again. Original error: could not allocate block of size 256.0 KiB (15.0 MiB/15.2 MiB used)"
)


def test_an_invalidated_file_is_not_tried_again_without_recovery_and_the_budget_stays() -> None:
    """Every statement on an invalidated catalog fails the same way: growing the budget and trying again only
    pushed the budget to its ceiling (and kept it for the file)."""
    budget, attempts = MemoryBudget(16, 1024), []

    def attempt(limit: str) -> str:
        attempts.append(limit)
        raise duckdb.IOException(_INVALIDATED)

    with pytest.raises(duckdb.IOException, match="has been invalidated"):
        growing(budget, attempt, lambda *_: None)
    assert attempts == ["16MB"] and budget.limit == "16MB"


def test_with_recovery_an_invalidated_file_is_attached_again_and_the_attempt_repeated_with_more_memory() -> None:
    budget, recovered = MemoryBudget(16, 1024), []

    def attempt(limit: str) -> str:
        if limit == "16MB":
            raise duckdb.IOException(_INVALIDATED)
        return limit

    assert growing(budget, attempt, lambda *_: None, recovered.append) == "32MB"
    assert len(recovered) == 1 and "has been invalidated" in str(recovered[0])


def test_a_budget_doubles_up_to_its_ceiling_and_a_stale_attempt_does_not_grow_it_twice() -> None:
    budget = MemoryBudget(16, 100)
    assert budget.limit == "16MB"
    assert budget.grow() and budget.limit == "32MB"
    assert budget.grow(after="16MB") and budget.limit == "32MB"  # another thread already grew it
    assert budget.grow() and budget.grow() and budget.limit == "100MB"
    assert budget.at_ceiling and not budget.grow()


def test_out_of_memory_is_recognised_through_wrappers_and_failed_commits() -> None:
    commit = duckdb.TransactionException("Failed to commit: could not allocate block of size 256.0 KiB (60.9 MiB)")
    wrapped = WarehouseError("applying a page failed")
    wrapped.__cause__ = duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")
    assert is_out_of_memory(commit) and is_out_of_memory(wrapped)
    assert not is_out_of_memory(duckdb.IOException("disk full"))
    assert not is_out_of_memory(WarehouseError("warehouse file is locked"))
    assert not is_out_of_memory(None)


def test_the_ceiling_is_half_the_machine_at_most_four_gigabytes() -> None:
    assert memory.PAGE_START_MB <= memory.ceiling() <= memory.CEILING_MAX_MB


def test_a_start_above_the_ceiling_is_brought_down_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "CEILING_MAX_MB", 512)  # a small machine: the analytics' 1 GB start is too much
    assert memory.analytics_budget(tmp_path / "zendesk.duckdb").limit == "512MB"


@pytest.mark.parametrize(
    ("v2", "v1", "expected"),
    [
        ("2147483648\n", None, 2048),  # a 2 GB container (cgroup v2)
        ("max\n", "9223372036854771712\n", None),  # unlimited: the machine's memory
        (None, "1073741824\n", 1024),  # cgroup v1
        ("garbage", None, None),
    ],
)
def test_a_containers_memory_limit_bounds_what_the_budgets_may_use(
    tmp_path: Path, v2: str | None, v1: str | None, expected: int | None
) -> None:
    files = (tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes")
    for path, text in zip(files, (v2, v1), strict=True):
        if text is not None:
            path.write_text(text)
    machine = memory.usable_mb(())
    assert machine is not None
    assert memory.usable_mb(files) == (machine if expected is None else min(machine, expected))


def test_a_checkpoint_that_runs_out_after_the_commit_keeps_the_write_and_does_not_apply_it_again(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wh = _warehouse(tmp_path, clock)
    real_detach, failures = connections.detach, []

    def detach_out_of_memory(con: duckdb.DuckDBPyConnection) -> None:
        if not failures:  # the first letting go fails like DuckDB's checkpoint on detach, before detaching
            failures.append(con)
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 6.0 MiB")
        real_detach(con)

    monkeypatch.setattr(connections, "detach", detach_out_of_memory)
    caplog.set_level(logging.WARNING, logger="zd_pipeline.warehouse.warehouse")
    result = wh.apply_page(TICKETS, _page(1), page_checkpoint("tickets", 1))
    assert failures and result.written == PAGE  # applied once, counted once
    assert wh.apply_page(TICKETS, _page(2), page_checkpoint("tickets", 2)).written == PAGE
    assert rows(wh, "tickets", "count(*), min(_ordering_ts)", "1") == [(PAGE, BASE + 2)]
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 2)
    assert page_budget(wh.path).limit == f"{2 * memory.PAGE_START_MB}MB"
    assert any("after a committed write" in record.getMessage() for record in caplog.records)


def _limit_shown(limit: str) -> str:
    """How DuckDB reports ``memory_limit`` after ``SET memory_limit = limit``."""
    con = duckdb.connect()
    try:
        con.execute(memory.limit_setting(limit))
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def _half_dead(wh: Warehouse, version: int) -> None:
    """A held write that leaves half the stored tickets superseded (newer versions from ``version`` on), so letting
    go at the end vacuums."""
    with wh.holding(hold_seconds=3600):
        for step in (0, 1):
            records = [ticket(i, BASE + version + step) for i in range(1, 51)]
            wh.apply_page(TICKETS, records, page_checkpoint("tickets", version + step))


def test_a_vacuum_runs_at_its_own_budget_and_running_out_grows_that_budget_only(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Page writes start at 32 MB, which a vacuum of a big table outgrows: it gets ``VACUUM_START_MB`` (or the page
    budget when that grew larger), and when it runs out its own budget grows, not the page writes'."""
    wh = _warehouse(tmp_path, clock)
    real_detach, seen = connections.detach, []

    def detach(con: duckdb.DuckDBPyConnection) -> None:
        vacuums = con.execute("SELECT current_setting('max_vacuum_tasks')").fetchone()[0] > 0
        seen.append((vacuums, con.execute("SELECT current_setting('memory_limit')").fetchone()[0]))
        if vacuums and len([v for v, _ in seen if v]) == 2:  # the second vacuum runs out, as DuckDB would
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 6.0 MiB")
        real_detach(con)

    monkeypatch.setattr(connections, "detach", detach)
    caplog.set_level(logging.WARNING, logger="zd_pipeline.warehouse.page_writer")
    _half_dead(wh, 0)
    assert seen[-1] == (True, _limit_shown(f"{memory.VACUUM_START_MB}MB"))
    wh.apply_page(TICKETS, [ticket(1, BASE + 1)], page_checkpoint("tickets", 1))  # a write takes the file again
    assert seen[-1] == (False, _limit_shown(f"{memory.PAGE_START_MB}MB"))  # at the page budget again
    _half_dead(wh, 2)  # this vacuum fails: logged, committed rows kept
    assert vacuum_budget(wh.path).limit == f"{2 * memory.VACUUM_START_MB}MB"
    assert page_budget(wh.path).limit == f"{memory.PAGE_START_MB}MB"
    assert "the next vacuum gets" in caplog.text
    assert wh.row_count("tickets") == 50 and wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 3)
    monkeypatch.setattr(memory, "_BUDGETS", {})
    page_budget(wh.path).grow()  # the page budget above the vacuum's (512 MB in a new process): the larger wins
    page_budget(wh.path).grow()
    page_budget(wh.path).grow()
    page_budget(wh.path).grow()
    _half_dead(wh, 4)
    assert seen[-1] == (True, _limit_shown(f"{16 * memory.PAGE_START_MB}MB"))


def test_what_a_budget_grew_to_is_where_the_next_process_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zendesk.duckdb"
    first = page_budget(path)
    assert first.grow() and first.limit == f"{2 * memory.PAGE_START_MB}MB"
    monkeypatch.setattr(memory, "_BUDGETS", {})  # what a new process sees: only the file beside the database
    assert page_budget(path).limit == f"{2 * memory.PAGE_START_MB}MB"
    assert memory.checks_budget(path).limit == f"{memory.CHECKS_START_MB}MB"  # other purposes keep their start


@pytest.mark.parametrize(
    ("kept", "expected_mb"),
    [
        ("not json", memory.PAGE_START_MB),
        ('{"pages": "lots"}', memory.PAGE_START_MB),
        ('{"pages": 1}', memory.PAGE_START_MB),  # never below the start
        ('{"pages": 1000000}', None),  # never above this machine's ceiling
    ],
)
def test_a_kept_budget_that_makes_no_sense_is_bounded_or_ignored(
    tmp_path: Path, kept: str, expected_mb: int | None
) -> None:
    path = tmp_path / "zendesk.duckdb"
    memory.learned_path(path).write_text(kept)
    assert page_budget(path).limit == f"{expected_mb or memory.ceiling()}MB"


def test_a_budget_that_cannot_be_kept_still_grows_and_leaves_no_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "zendesk.duckdb"
    memory.learned_path(path).mkdir()  # where the file should go is a folder: writing it fails
    budget = page_budget(path)
    assert budget.grow() and budget.limit == f"{2 * memory.PAGE_START_MB}MB"
    assert sorted(p.name for p in folder.iterdir()) == ["zendesk.duckdb.memory.json"]


def test_capped_connections_spill_beside_the_database_not_into_the_working_directory(
    tmp_path: Path, clock: ManualClock
) -> None:
    wh = _warehouse(tmp_path, clock)
    spill = str(wh.path.with_name(wh.path.name + ".tmp"))
    for opened in (wh.read(memory_limit="32MB"), wh.write(memory_limit="1024MB")):  # the checks', the analytics'
        with opened as con:
            assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (spill,)
