"""DuckDB memory limits for writes, vacuums, checks and analytics: modest to start with, doubled when DuckDB runs out.

A sync caps DuckDB (:data:`PAGE_START_MB` for page writes, :data:`CHECKS_START_MB` for the asset checks) so that
its memory stays flat as tables grow, and the analytics rebuild is capped too (:data:`ANALYTICS_START_MB`). What
DuckDB needs is not flat in everything, though. An update spread over a large table pins metadata of every row
group it touches, and a duplicate-id check must hash every id. Measured at bench scale (1,000,000 tickets in
208 row groups, 11.3 million metric events in 664, all streams synced with no rate limit):

- an incremental sync of 5,000 updated tickets failed at 64 MB ("Failed to commit: could not allocate block of
  size 256.0 KiB (60.9 MiB/61.0 MiB used)");
- the duplicate-id check of the metric events failed at 32 MB.

Both passed at twice the limit. A fixed cap large enough for any account would hold memory that small accounts
never need. So each DuckDB file has a :class:`MemoryBudget` per purpose that starts small and doubles, for the
rest of the process (and the next ones, below), each time DuckDB reports that it ran out. The write is rolled
back and applied again (applying a batch twice changes nothing); the check, or the analytics table's build, runs
again (:func:`growing`).
The budget stops at :func:`ceiling`: half of the memory this process may use (a container's limit when lower
than the machine's), at most 4 GB; a start above it is brought down to it. At the
ceiling the error is raised and says so.

What a file's budgets grew to is kept beside it in ``<file>.memory.json`` (``{"pages": 128, "checks": 64}``),
so the next process starts there: every sensor- or schedule-launched run is a new process, and a big account
would otherwise pay a failed attempt and a warning in each. Best effort: a missing, unreadable or unwritable
file means the defaults; delete it to start from them again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")
_log = logging.getLogger(__name__)

PAGE_START_MB = 32
"""Where page writes and sessions start; they spill to ``<file>.tmp`` beyond (``connections.page_memory_settings``).
Measured with a fixed cap: at 1GB a vacuuming checkpoint of a big table filled it (a tickets sync at bench scale
peaked at 1176 MB RSS at 1,000,000 rows); 16MB failed (a checkpoint on detach could not allocate 6 MiB, which
invalidates the attached database). 64 MB until stop 20. 32 MB is what a full sync's batches need (new tickets,
each batch replacing a few; at bench scale every batch replaced some): figure 6's 1,000,000-ticket sync peaked at
291-295 MB RSS instead of 306-312 MB (three runs each), in the same 22-23 s; figure 4's end-to-end sync took
11.8-12.1 s either way. Batches that replace thousands of stored rows need more (deletes spread over the table):
figure 7's incremental sync (10,000 ticket updates into 1,000,000) runs out at 32 MB on its first tickets batch and
grows to 64 MB (one rolled-back attempt; 2.8 % of the full sync all the same), and figure 3's bulk load grows too;
the file keeps what it grew to, so that is paid once per file. DuckDB holds cached blocks up to the cap, so a
larger start only buys a higher RSS in the syncs that do not need it."""
VACUUM_START_MB = 128
"""A vacuuming checkpoint (``page_writer``), which merges row groups of every table that has some to merge: it
holds several groups at once, far more than a page write. Stop 19: the closing vacuum after 1,000,000 upserts
into 1,000,000 tickets ran out of 64 MB after 3.5 s of work and took 9.3 s at 128 MB; starting it at the page
budget (32 MB since stop 20) would throw away two such attempts per file. The vacuum runs at the larger of this
budget and the page budget; it grows only when a vacuum runs out."""
CHECKS_START_MB = 32
"""The asset checks' read connection."""
ANALYTICS_START_MB = 1024
"""The analytics rebuild. Uncapped, DuckDB takes up to 80 % of the machine: rebuilding every analytics table of the
bench-scale account peaked at 4.5 GB RSS in 34 s; capped at 1 GB it peaked at 1.1 GB in 33 s (at 256 MB: 393 MB
but 46 s, spilling)."""
CEILING_MAX_MB = 4096
CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
_OUT_OF_MEMORY = ("out of memory", "could not allocate block", "failed to pin block", "failed to allocate data")
_BUDGETS: dict[tuple[Path, str], MemoryBudget] = {}
_LOCK = threading.Lock()


def ceiling() -> int:
    """The most a budget grows to, in MB: half of the memory this process may use (:func:`usable_mb`), at most
    :data:`CEILING_MAX_MB`."""
    usable = usable_mb()
    if usable is None:
        return CEILING_MAX_MB
    return max(PAGE_START_MB, min(CEILING_MAX_MB, usable // 2))


def usable_mb(cgroup_limits: tuple[Path, ...] = CGROUP_LIMITS) -> int | None:
    """The memory this process may use, in MB: the machine's physical memory, or its container's (cgroup) limit
    when that is lower. A container's processes see the host's memory in ``sysconf``, so without the cgroup a
    budget could grow past what the container allows and be killed instead of failing with a clear error."""
    try:
        usable = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError):
        usable = None
    for limit_file in cgroup_limits:
        try:
            text = limit_file.read_text().strip()
        except OSError:
            continue
        if text.isdigit():  # cgroup v2 says "max" when unlimited; v1 gives a huge number
            limit = int(text) // 2**20
            usable = limit if usable is None else min(usable, limit)
    return usable


class MemoryBudget:
    """A DuckDB ``memory_limit`` that doubles on :meth:`grow`, up to ``ceiling_mb``. Thread-safe. ``grown`` is told
    each new size (in MB), to keep it."""

    def __init__(self, start_mb: int, ceiling_mb: int, grown: Callable[[int], None] | None = None) -> None:
        self.ceiling_mb = max(start_mb, ceiling_mb)
        self._mb = min(start_mb, self.ceiling_mb)
        self._grown = grown
        self._lock = threading.Lock()

    @property
    def limit(self) -> str:
        """The limit in DuckDB's syntax, e.g. ``'64MB'``."""
        return f"{self._mb}MB"

    @property
    def mb(self) -> int:
        """The limit in MB."""
        return self._mb

    @property
    def at_ceiling(self) -> bool:
        return self._mb >= self.ceiling_mb

    def grow(self, after: str | None = None) -> bool:
        """Double the limit (at most to the ceiling); False when it is already there. ``after`` is the limit the
        failing attempt ran with: when another thread has grown the budget since, it is not grown again."""
        with self._lock:
            if after is not None and after != self.limit:
                return True
            if self.at_ceiling:
                return False
            self._mb = min(self._mb * 2, self.ceiling_mb)
            if self._grown is not None:
                self._grown(self._mb)
            return True

    def __repr__(self) -> str:
        return f"MemoryBudget({self.limit}, ceiling {self.ceiling_mb}MB)"


def budget(path: Path, purpose: str, start_mb: int) -> MemoryBudget:
    """This process's budget for ``purpose`` (``"pages"``, ``"checks"``, ``"analytics"``) on the DuckDB file at
    ``path``: ``start_mb``, or what an earlier process grew it to (``<file>.memory.json``)."""
    path = Path(path)
    key = (path, purpose)
    with _LOCK:
        found = _BUDGETS.get(key)
        if found is None:
            learned = _learned(path).get(purpose, 0)
            most = ceiling()  # a start above it (the analytics' 1 GB on a small machine) is brought down to it
            start = min(max(start_mb, learned if isinstance(learned, int) else 0), most)
            found = MemoryBudget(start, most, lambda mb: _keep(path, purpose, mb))
            _BUDGETS[key] = found
        return found


def learned_path(path: Path) -> Path:
    """Where the budgets grown for the DuckDB file at ``path`` are kept."""
    return path.with_name(path.name + ".memory.json")


def _learned(path: Path) -> dict[str, object]:
    try:
        found = json.loads(learned_path(path).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _keep(path: Path, purpose: str, mb: int) -> None:
    """Record that ``purpose``'s budget for ``path`` grew to ``mb`` (replacing the file whole; best effort)."""
    with _LOCK:
        learned = {**_learned(path), purpose: mb}
        target = learned_path(path)
        partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            partial.write_text(json.dumps(learned, sort_keys=True))
            os.replace(partial, target)
        except OSError as error:
            _log.info("could not keep DuckDB's memory budget for %s in %s: %s", path, target, error)
            with suppress(OSError):
                partial.unlink()


def page_budget(path: Path) -> MemoryBudget:
    return budget(path, "pages", PAGE_START_MB)


def vacuum_budget(path: Path) -> MemoryBudget:
    return budget(path, "vacuum", VACUUM_START_MB)


def checks_budget(path: Path) -> MemoryBudget:
    return budget(path, "checks", CHECKS_START_MB)


def analytics_budget(path: Path) -> MemoryBudget:
    return budget(path, "analytics", ANALYTICS_START_MB)


def growing(
    budget: MemoryBudget,
    attempt: Callable[[str], T],
    grew: Callable[[str, str, BaseException], None],
    recover: Callable[[BaseException], None] | None = None,
) -> T:
    """``attempt(limit)`` (which runs DuckDB under ``limit``); when DuckDB runs out, grow the budget, tell
    ``grew(old, new, error)`` and try again. ``attempt`` must leave nothing behind when it fails (a read, or a
    write that rolls back). At the ceiling, or on any other error, the error is raised.

    When the failure invalidated the attached file (:func:`is_invalidated`: a checkpoint inside a commit ran out),
    every later statement on that connection fails the same way, so trying again is useless until
    ``recover(error)`` has attached the file again; without ``recover`` the error is raised at once, and the
    budget is not grown (growing it to the ceiling on a dead connection kept 4 GB for the file)."""
    while True:
        limit = budget.limit
        try:
            return attempt(limit)
        except Exception as error:
            if is_invalidated(error):
                if recover is None:
                    raise
                recover(error)
            if not is_out_of_memory(error) or not budget.grow(after=limit):
                raise
            grew(limit, budget.limit, error)


def limit_setting(limit: str) -> str:
    """The statement setting a DuckDB instance's ``memory_limit`` to ``limit`` (e.g. ``'64MB'``)."""
    return "SET memory_limit = '" + limit.replace("'", "''") + "'"


def limited_on(con: duckdb.DuckDBPyConnection, run: Callable[[], T]) -> Callable[[str], T]:
    """An ``attempt`` for :func:`growing` on an open connection: ``run()`` with ``con``'s DuckDB at the limit."""

    def attempt(limit: str) -> T:
        con.execute(limit_setting(limit)).fetchall()
        return run()

    return attempt


def is_invalidated(error: BaseException | None) -> bool:
    """True when ``error`` (or what caused it) says DuckDB invalidated the attached file: a checkpoint failed (say,
    for memory) inside a commit. Every later statement on the catalog then fails the same way until it is detached
    and attached again (``connections.reattach``); what was committed is in the write-ahead log, replayed on
    attach."""
    return any("has been invalidated" in str(cause) for cause in _duckdb_causes(error))


def is_out_of_memory(error: BaseException | None) -> bool:
    """True when ``error`` (or what caused it) is DuckDB reporting that it reached its memory limit. A failed
    commit reports it as a ``TransactionException`` ("Failed to commit: could not allocate block ..."), so the
    message is what tells."""
    return any(
        isinstance(cause, duckdb.OutOfMemoryException) or any(marker in str(cause).lower() for marker in _OUT_OF_MEMORY)
        for cause in _duckdb_causes(error)
    )


def _duckdb_causes(error: BaseException | None) -> Iterator[duckdb.Error]:
    """The DuckDB errors in ``error``'s chain of causes (itself first), which is how the warehouse wraps them."""
    while error is not None:
        if isinstance(error, duckdb.Error):
            yield error
        error = error.__cause__
