"""The ``Warehouse``: the one object the pipeline touches (see the package docstring for the design)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Self, TypeVar

import duckdb
import pyarrow as pa

from zd_pipeline.catalogue import LISTS, STREAMS, ListStream, Stream
from zd_pipeline.checkpoint import Checkpoint
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

from . import ddl, migrate, snapshots, sync_state
from .arrow_page import page_to_arrow
from .errors import NotADuckDBFileError, WarehouseError, WarehouseLockedError, is_out_of_memory, memory_named
from .files import (
    WarehouseFiles,
    check_duckdb_file,
    copy_to_publishing,
    published_is_stale,
    remove_leftovers,
    replace_published,
    seed_working,
    writer_lock,
)
from .history import apply_history, create_history_sql
from .merge import apply_staged
from .pages import PageResult, PreparedPage, concat_pages, split_results

_log = logging.getLogger(__name__)
T = TypeVar("T")
PUBLISH_SECONDS = 300.0  # a long run publishes what it committed at least this often (and always at its end)
RAW = ddl.RAW_SCHEMA


class Warehouse:
    """One account's DuckDB warehouse: the file users query (``path``) and the working file only the pipeline opens.

    Writes happen inside :meth:`writing` (one connection to the working file, under the account's writer lock,
    published when the block ends if anything changed); a method called outside it opens such a block for itself.
    An object is used by one thread at a time. ``lock_timeout`` bounds the wait for another writer;
    ``memory_limit`` (DuckDB's syntax) applies to every connection opened here.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        lock_timeout: float = 60.0,
        memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
        publish_seconds: float = PUBLISH_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.files = WarehouseFiles.at(path)
        self.path = self.files.published
        self.lock_timeout = lock_timeout
        self.memory_limit = memory_limit
        self.publish_seconds = publish_seconds
        self._clock: Clock = clock or SystemClock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._changed = False
        self._published_at = 0.0
        self._ready: set[str] = set()

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    # --- the working file -------------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Self]:
        """Hold the working file for a run: take the writer lock, repair what a killed writer left (temp files, a
        missing working or published file, the old single-file layout), open one connection, and when the block
        ends publish if anything changed. Reentrant: inside, it just yields."""
        if self._con is not None:
            yield self
            return
        with writer_lock(self.files, self.lock_timeout):
            self._con = self._open()
            failed = True
            try:
                yield self
                failed = False
            finally:
                con, self._con = self._con, None
                try:
                    self._publish_at_end(con, failed)
                finally:
                    con.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        files = self.files
        check_duckdb_file(files.published)
        check_duckdb_file(files.working)
        remove_leftovers(files)
        seeded = not files.working.exists() and files.published.exists()
        if seeded:
            seed_working(files)
        stale = published_is_stale(files)
        con = self._connect(files.working, read_only=False)
        self._ready = set()
        self._changed = seeded or stale
        self._published_at = self._clock.now()
        if seeded:
            try:
                self._migrate(con)
            except BaseException:
                con.close()
                raise
        return con

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        old = migrate.old_schemas(con)
        if not old:
            return
        _log.warning("moving the tables of schema(s) %s in %s into its main schema (once)", old, self.path)
        self._ensure_all(con)
        for schema in old:
            migrate.move_to_main(con, schema)
        migrate.remove_old_side_files(self.files)

    def _connect(self, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": self.memory_limit})
        except duckdb.Error as error:
            message = str(error)
            if "not a valid DuckDB database" in message:
                raise NotADuckDBFileError(f"{path} is not a DuckDB database; it was left untouched") from None
            if "lock" in message.lower():
                raise WarehouseLockedError(
                    f"{path} is open in another process: it is the pipeline's own working file; close that session "
                    f"and query {self.path} instead (DuckDB: {message})"
                ) from None
            raise WarehouseError(f"cannot open warehouse {path}: {message}") from None

    def _session(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        if self._con is not None:
            return work(self._con)
        with self.writing():
            return work(self._con)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The working file's connection for SQL that changes it (the analytics rebuild): published after."""
        with self.writing():
            with memory_named(f"writing {self.path}", self.memory_limit):
                yield self._con
            self._changed = True

    @contextmanager
    def query(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The working file's connection for reads that must see every commit (the asset checks)."""
        with self.writing(), memory_named(f"reading {self.path}", self.memory_limit):
            yield self._con

    # --- publishing -------------------------------------------------------------------------------------------

    def publish(self) -> None:
        """Publish the working file now (inside :meth:`writing`): checkpoint, copy, rename over ``path``."""
        self._session(self._publish)

    def publish_if_due(self) -> bool:
        """Publish when something changed and :attr:`publish_seconds` passed since the last publish (a long run
        calls this between its writes); True when it did."""
        if self._con is None or not self._changed:
            return False
        if self._clock.now() - self._published_at < self.publish_seconds:
            return False
        self._publish(self._con)
        return True

    def _publish(self, con: duckdb.DuckDBPyConnection) -> None:
        with memory_named(f"publishing {self.path}", self.memory_limit):
            con.execute("CHECKPOINT").fetchall()
        copy_to_publishing(self.files)
        replace_published(self.files)
        self._changed = False
        self._published_at = self._clock.now()

    def _publish_at_end(self, con: duckdb.DuckDBPyConnection, failed: bool) -> None:
        if not (self._changed or not self.path.exists()):
            return
        if not failed:
            self._publish(con)
            return
        try:  # what committed before the failure is worth publishing; the failure is what gets reported
            self._publish(con)
        except Exception as error:
            _log.warning("could not publish %s after a failed run (the next run will): %s", self.path, error)

    # --- tables -----------------------------------------------------------------------------------------------

    def ensure_tables(self) -> None:
        """Create one table per catalogue stream and ``_sync_state``, and the reference tables with
        ``_reference_state`` (empty until their first refresh: :mod:`.snapshots`); add catalogue columns an older
        table lacks. Idempotent."""
        self._session(self._ensure_all)

    def _ensure_all(self, con: duckdb.DuckDBPyConnection) -> None:
        for stream in STREAMS.values():
            self._ensure(con, stream)
        for listed in LISTS.values():
            if listed.name not in self._ready:
                self._changed = self._changed or not _columns(con, listed.table)
                snapshots.ensure(con, RAW, listed)
                self._ready.add(listed.name)

    def _ensure(self, con: duckdb.DuckDBPyConnection, stream: Stream) -> None:
        if stream.name in self._ready:
            return
        statements = [] if _columns(con, ddl.SYNC_STATE_TABLE) else [ddl.create_sync_state_sql(RAW)]
        existing = _columns(con, stream.table)
        statements += ddl.missing_column_sql(RAW, stream, existing) if existing else [ddl.create_table_sql(RAW, stream)]
        if stream.history_table is not None and not _columns(con, stream.history_table):
            statements.append(create_history_sql(RAW, stream))
        for statement in statements:
            con.execute(statement).fetchall()
        self._changed = self._changed or bool(statements)
        self._ready.add(stream.name)

    # --- writes -----------------------------------------------------------------------------------------------

    def prepare(self, stream: Stream, records: Sequence[dict[str, Any]]) -> PreparedPage:
        """Convert a page for :meth:`apply_pages` without touching the file (a fetcher thread does it while the
        writer writes). Raises :class:`BadRecordError` when a record lacks its id or ordering timestamp."""
        return PreparedPage(stream.name, len(records), page_to_arrow(stream, records))

    def apply_page(self, stream: Stream, records: Sequence[dict[str, Any]], checkpoint: Checkpoint) -> PageResult:
        """Apply one page and store ``checkpoint`` in the same transaction: both or neither."""
        return self.apply_pages(stream, [records], checkpoint)[0]

    def apply_pages(
        self, stream: Stream, pages: Sequence[Sequence[dict[str, Any]] | PreparedPage], checkpoint: Checkpoint
    ) -> list[PageResult]:
        """Apply consecutive pages of one stream and store ``checkpoint`` (the one that follows the last page) in one
        transaction: all of them or nothing, exactly as if applied one after the other (newest wins across them
        too). Per page, ``written`` counts its records stored afterwards and ``ignored`` the rest.

        Raises :class:`BadRecordError` (nothing written) when a record lacks its id or ordering timestamp, and
        :class:`WarehouseMemoryError` (nothing of the batch written) when DuckDB runs out of its memory limit.
        """
        if checkpoint.stream != stream.name:
            raise WarehouseError(
                f"checkpoint for stream {checkpoint.stream!r} given with a page of {stream.name!r}; nothing written"
            )
        prepared = [page if isinstance(page, PreparedPage) else self.prepare(stream, page) for page in pages]
        for page in prepared:
            if page.stream != stream.name:
                raise WarehouseError(f"a page prepared for {page.stream!r} given as {stream.name!r}; nothing written")
        batch = concat_pages([page.table for page in prepared])
        written = self._session(lambda con: self._commit(con, stream, batch, checkpoint))
        return split_results([page.size for page in prepared], written)

    def _commit(
        self, con: duckdb.DuckDBPyConnection, stream: Stream, batch: pa.Table, checkpoint: Checkpoint
    ) -> list[int]:
        self._ensure(con, stream)
        now = self._clock.now()
        what = f"applying {batch.num_rows} records of {stream.name!r} to {self.path}"
        with memory_named(what, self.memory_limit):
            con.execute("BEGIN TRANSACTION")
            try:
                then = sync_state.checkpoint_statements(RAW, checkpoint, now)
                apply_history(con, RAW, stream, batch, now)
                written = apply_staged(con, RAW, stream, batch, now, then)
                con.execute("COMMIT")
            except BaseException as error:
                with suppress(duckdb.Error):  # the failing statement may have aborted the transaction already
                    con.execute("ROLLBACK")
                if isinstance(error, duckdb.Error) and not is_out_of_memory(error):
                    raise WarehouseError(f"{what} failed; nothing of it was written: {error}") from error
                raise
        self._changed = True
        return written.to_pylist()

    # --- reference tables: snapshots of list endpoints (:mod:`.snapshots`) --------------------------------------

    def apply_snapshot(
        self, stream: ListStream, records: Sequence[dict[str, Any]], *, complete: bool
    ) -> snapshots.SnapshotState:
        """Upsert a list's items and, for a complete snapshot, tombstone the ids it lacks; one transaction with the
        list's state row. Published with the rest of the block's writes."""
        with self.write() as con:
            return snapshots.apply(con, RAW, stream, records, complete=complete, now=self._clock.now())

    def snapshot_state(self, name: str) -> snapshots.SnapshotState | None:
        """A reference list's last refresh (``None`` if never); read like :meth:`load_checkpoint`."""
        return self._ask(lambda con: snapshots.load_state(con, RAW, name), None)

    # --- reads ------------------------------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the published file (what users see): never waits for a run."""
        check_duckdb_file(self.path)
        if not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path} yet: run a sync first (or check ZD_DUCKDB_PATH)")
        con = self._connect(self.path, read_only=True)
        try:
            yield con
        finally:
            con.close()

    def load_checkpoint(self, stream_name: str, window_start: int, window_end: int) -> Checkpoint | None:
        return self._ask(lambda con: sync_state.load_checkpoint(con, RAW, stream_name, window_start, window_end), None)

    def checkpoints(self, stream_name: str) -> list[Checkpoint]:
        return self._ask(lambda con: sync_state.list_checkpoints(con, RAW, stream_name), [])

    def high_water_mark(self, stream_name: str) -> int | None:
        """The newest ordering timestamp (epoch seconds) stored for the stream; None when it has no rows."""
        sql = f"SELECT max(_ordering_ts) FROM {ddl.qualified(RAW, stream_name)}"
        return self._ask(lambda con: con.execute(sql).fetchone()[0], None)

    def row_count(self, stream_name: str) -> int:
        sql = f"SELECT count(*) FROM {ddl.qualified(RAW, stream_name)}"
        return self._ask(lambda con: con.execute(sql).fetchone()[0], 0)

    def _ask(self, read: Callable[[duckdb.DuckDBPyConnection], T], when_absent: T) -> T:
        """``read`` on the working file inside :meth:`writing`, else on the published file (it never waits for a
        run; a run in progress has not published its latest pages yet). ``when_absent`` when there is no file or
        table yet."""
        if self._con is not None:
            return _or_absent(read, self._con, when_absent)
        if not self.path.exists():
            return when_absent
        with self.read() as con:
            return _or_absent(read, con, when_absent)


def _or_absent(read: Callable[[duckdb.DuckDBPyConnection], T], con: duckdb.DuckDBPyConnection, when_absent: T) -> T:
    try:
        return read(con)
    except duckdb.CatalogException:
        return when_absent


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
        [RAW, table],
    ).fetchall()
    return {row[0] for row in rows}
