"""How a :class:`~.warehouse.Warehouse` gets at its DuckDB file: short connections, a sync's hold, a bulk session.

DuckDB lets one process write a file, and nobody else open it meanwhile; :mod:`.connections` serialises writers
with a lock file and :mod:`.page_writer` keeps a sync's file between page writes. This module is the per-thread
bookkeeping on top: inside :meth:`FileAccess.session` or :meth:`FileAccess.holding` every call of the same thread
uses the connection it holds (the file cannot be opened twice in one process). What is written is
:mod:`.warehouse`'s business.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

import duckdb

from .connections import (
    memory_settings,
    page_memory_settings,
    reader_connection,
    reattach,
    run_each,
    writer_connection,
)
from .errors import WarehouseError
from .page_writer import HeldFile

SESSION_CHECKPOINT_THRESHOLD = "64MB"
PAGE_THREADS = 1  # a page is too small for DuckDB's parallelism to pay: one thread measured ~20% faster
# the memory limit and spill folder come from connections.page_memory_settings (memory.page_budget)
PAGE_SETTINGS = (f"SET threads = {PAGE_THREADS}",)
HOLD_SECONDS = 2.0  # longest a sync's writer keeps the file between writes when nobody announces they wait


class FileAccess:
    """The file at ``path`` and this process's ways in. ``lock_timeout`` bounds how long a write waits for other
    writers or someone else's open connection; ``read_timeout`` how long :meth:`read` waits for a sync's page."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 60.0, read_timeout: float = 10.0) -> None:
        self.path = Path(path).expanduser().absolute()
        self.lock_timeout = lock_timeout
        self.read_timeout = read_timeout
        self._local = threading.local()

    @contextmanager
    def read(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-only connection for users' SQL; waits up to ``read_timeout`` for a sync's page (inside a
        session or hold of this thread: its connection). ``memory_limit`` caps its queries (they spill beyond):
        for reads inside a sync process, which must not grow with the tables (the asset checks)."""
        own = self._own_connection()
        if own is not None:
            yield own
            return
        with reader_connection(self.path, self.read_timeout, memory_limit) as con:
            yield con

    @contextmanager
    def write(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection under the writer lock (inside a session or hold of this thread: its connection).
        ``memory_limit`` caps its queries (they spill to ``<file>.tmp`` beyond): the analytics rebuild's."""
        own = self._own_connection()
        if own is not None:
            yield own
            return
        with writer_connection(self.path, self.lock_timeout) as con:
            if memory_limit is not None:
                run_each(con, memory_settings(self.path, memory_limit))
            yield con

    def _own_connection(self) -> duckdb.DuckDBPyConnection | None:
        """The connection this thread already has the file open with: its session's, or its hold's while held."""
        session = getattr(self._local, "con", None)
        if session is not None:
            return session
        held: HeldFile | None = getattr(self._local, "held", None)
        return held.connection() if held is not None and held.held else None

    @contextmanager
    def _page_connection(
        self, table: tuple[str, str] | None = None, memory_limit: str | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A page write's connection: the session's, else the hold's (taking the file if it was let go), else a
        one-write hold. ``table`` (schema, table) is what a successful block wrote, for the vacuum policy;
        ``memory_limit``, DuckDB's limit for a hold's block (set only when it changes: see ``HeldFile``)."""
        session = getattr(self._local, "con", None)
        if session is not None:
            yield session
            return
        held: HeldFile | None = getattr(self._local, "held", None)
        once = held is None
        if held is None:
            held = HeldFile(self.path, self.lock_timeout, PAGE_SETTINGS)
        try:
            yield held.connection(memory_limit)
        except BaseException:
            with suppress(Exception):  # the write's own error is the one to report
                held.release()
            raise
        if table is not None:
            held.wrote(*table)
        held.after_write(once=once)

    @contextmanager
    def holding(self, hold_seconds: float = HOLD_SECONDS) -> Iterator[Self]:
        """Let this thread's page writes keep the file between them (a sync's writer: each write then costs its
        SQL and commit, not an attach and a checkpoint). The file is let go after a write when another reader or
        writer of this package waits for it, after ``hold_seconds`` in any case, on :meth:`let_go` (call it when
        no write is coming soon) and when the block ends. See ``page_writer`` for the measurements."""
        if getattr(self._local, "held", None) is not None or getattr(self._local, "con", None) is not None:
            yield self
            return
        held = HeldFile(self.path, self.lock_timeout, PAGE_SETTINGS, hold_seconds)
        self._local.held = held
        try:
            yield self
        finally:
            self._local.held = None
            held.release_vacuuming(last=True)

    def let_go(self) -> None:
        """Inside :meth:`holding`: release the file now (checkpointed, and vacuumed if a table written is due: call
        it when there is nothing to write for a while); the next write takes it again."""
        held: HeldFile | None = getattr(self._local, "held", None)
        if held is not None:
            held.release_vacuuming()

    @contextmanager
    def session(self) -> Iterator[Self]:
        """Hold one write connection across many calls of this thread (bulk loads, tests). Readers and other
        writers wait for the whole session, so keep it to a bounded batch. The session's connection is tuned for
        page applies (one DuckDB thread, the file's ``memory.page_budget``). Syncs use :meth:`holding` instead,
        which lets waiting readers in and is faster per page (``bench.warehouse_speed`` prints both)."""
        if getattr(self._local, "con", None) is not None:
            yield self
            return
        with writer_connection(self.path, self.lock_timeout) as con:
            # Fewer, larger checkpoints while the session holds the file (one is forced when it closes): measured
            # ~1.5x faster page applies; the WAL it leaves to replay is bounded by this size.
            con.execute(f"SET checkpoint_threshold = '{SESSION_CHECKPOINT_THRESHOLD}'").fetchall()
            _tune_for_pages(con, self.path)
            self._local.con = con
            try:
                yield self
            finally:
                self._local.con = None

    def attach_again(self, con: duckdb.DuckDBPyConnection, error: BaseException) -> None:
        """After DuckDB invalidated the file on ``con`` (a session's, or one from :meth:`write`: a checkpoint inside
        a commit failed, say for memory), attach it again so the work can be retried on ``con``; what was committed
        replays from the log. For the ``recover`` callback of ``memory.growing``."""
        try:
            reattach(con, self.path)
        except duckdb.Error as failed:
            raise WarehouseError(
                f"DuckDB invalidated {self.path} when a checkpoint failed ({error}), and attaching it again failed "
                f"too ({failed}); close this connection or session and start a new one: committed writes are kept"
            ) from error


def _tune_for_pages(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    run_each(con, (*PAGE_SETTINGS, *page_memory_settings(path)))
