"""The ``Warehouse``: the one object the pipeline and users touch (see the package docstring for the design)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from zd_pipeline.catalogue import STREAMS, Stream
from zd_pipeline.checkpoint import Checkpoint
from zd_pipeline.clock import Clock, SystemClock

from . import ddl, sync_state
from .arrow_page import page_to_arrow
from .connections import CATALOG, run_each
from .errors import WarehouseError
from .file_access import FileAccess
from .memory import growing, is_out_of_memory, limit_setting, page_budget
from .merge import apply_staged
from .pages import PageResult, PreparedPage, concat_pages, split_results

_log = logging.getLogger(__name__)


class Warehouse(FileAccess):
    """A DuckDB file holding one schema per account, one table per catalogue stream and ``_sync_state``.

    Every method opens a short connection and closes it (DuckDB lets no other process in while a write
    connection is open), except inside :meth:`session`, which holds one write connection for a bulk load, and
    :meth:`holding`, where a sync's page writes keep the file between them (:class:`.file_access.FileAccess`).
    Inside either, every method of the same thread uses the connection it holds (the file cannot be opened twice
    in one process). ``lock_timeout`` bounds how long a write waits for other writers or someone else's open
    connection; ``read_timeout`` how long :meth:`read` waits for a sync's page to finish.
    """

    def __init__(
        self,
        path: str | Path,
        schema: str = "zendesk",
        *,
        lock_timeout: float = 60.0,
        read_timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(path, lock_timeout=lock_timeout, read_timeout=read_timeout)
        self.schema = ddl.validate_schema(schema)
        self._clock: Clock = clock or SystemClock()
        self._ready: set[str] = set()

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r}, schema={self.schema!r})"

    # --- tables ------------------------------------------------------------------------------------------------

    def ensure_tables(self) -> None:
        """Create the schema, one table per catalogue stream and ``_sync_state``; add catalogue columns an older
        table lacks. Idempotent."""
        with self._page_connection() as con:
            for stream in STREAMS.values():
                self._ensure(con, stream)

    def _ensure(self, con: duckdb.DuckDBPyConnection, stream: Stream) -> None:
        if stream.name in self._ready:
            return
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ddl.quote(self.schema)}").fetchall()
        con.execute(ddl.create_sync_state_sql(self.schema)).fetchall()
        con.execute(ddl.create_table_sql(self.schema, stream)).fetchall()
        existing = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [self.schema, stream.table],
            ).fetchall()
        }
        run_each(con, ddl.missing_column_sql(self.schema, stream, existing))
        self._ready.add(stream.name)

    # --- writes ------------------------------------------------------------------------------------------------

    def apply_page(self, stream: Stream, records: Sequence[dict[str, Any]], checkpoint: Checkpoint) -> PageResult:
        """Apply one page and store ``checkpoint`` in the same transaction: both or neither.

        Raises :class:`BadRecordError` (nothing written) when a record lacks its id or ordering timestamp.
        """
        return self.apply_pages(stream, [records], checkpoint)[0]

    def prepare(self, stream: Stream, records: Sequence[dict[str, Any]]) -> PreparedPage:
        """Convert a page for :meth:`apply_pages` without touching the file (a fetcher thread can do it while the
        writer writes). Raises :class:`BadRecordError` when a record lacks its id or ordering timestamp."""
        return PreparedPage(stream.name, len(records), page_to_arrow(stream, records))

    def apply_pages(
        self, stream: Stream, pages: Sequence[Sequence[dict[str, Any]] | PreparedPage], checkpoint: Checkpoint
    ) -> list[PageResult]:
        """Apply consecutive pages of one stream and store ``checkpoint`` (the one that follows the last page) in one
        transaction: all of them or nothing. The result is exactly that of applying the pages one after the other
        (newest wins across the pages too; on equal timestamps the later page's record); per page, ``written``
        counts its records that are stored afterwards and ``ignored`` the rest (older, unchanged, or superseded by
        a later record of the batch). One transaction per batch is what makes bulk syncs fast: opening the file,
        looking up stored ids and DuckDB's commit and checkpoint are paid once per batch instead of once per page.

        When DuckDB runs out of memory, the batch is rolled back and applied again under the file's page budget
        doubled (``memory.page_budget``), up to its ceiling, where a :class:`WarehouseError` says so.

        Raises :class:`BadRecordError` (nothing of the batch written) when a record lacks its id or ordering
        timestamp.
        """
        if checkpoint.stream != stream.name:
            raise WarehouseError(
                f"checkpoint for stream {checkpoint.stream!r} given with a page of {stream.name!r}; nothing written"
            )
        prepared = [page if isinstance(page, PreparedPage) else self.prepare(stream, page) for page in pages]
        for page in prepared:
            if page.stream != stream.name:
                raise WarehouseError(f"a page prepared for {page.stream!r} given as {stream.name!r}; nothing written")
        batch = concat_pages([page.table for page in prepared])  # converted before taking the lock

        def grew(old: str, new: str, error: BaseException) -> None:
            _log.warning(
                "DuckDB ran out of its %s memory limit writing %d rows of %s to %s (rolled back); applying them "
                "again with %s, which is kept for the file (<file>.memory.json). DuckDB said: %s",
                *(old, batch.num_rows, stream.name, self.path, new, str(error.__cause__ or error).splitlines()[0]),
            )

        try:
            written = growing(
                page_budget(self.path),
                lambda limit: self._apply_batch(stream, batch, checkpoint, limit),
                grew,
                recover=self._recover_page_connection,
            )
        except (WarehouseError, duckdb.Error) as error:
            if not is_out_of_memory(error):
                raise
            raise WarehouseError(
                f"{error} (DuckDB's memory limit for writes was already raised to {page_budget(self.path).limit}, "
                "the most zd-pipeline lets it use here: half the machine's or container's memory, at most 4 GB; "
                "nothing of the batch was written: run the sync where more memory is free)"
            ) from error
        return split_results([page.size for page in prepared], written)

    def _apply_batch(self, stream: Stream, batch: pa.Table, checkpoint: Checkpoint, memory_limit: str) -> list[int]:
        """One attempt at :meth:`apply_pages`' transaction, with DuckDB's memory limit at ``memory_limit``."""
        if getattr(self._local, "con", None) is None:  # a hold's connection: the file's catalog is in use
            with self._page_connection((self.schema, stream.table), memory_limit) as con:
                self._ensure(con, stream)
                return self._commit_page(con, stream, batch, checkpoint)
        with self._page_connection((self.schema, stream.table)) as con:
            cursor = con.cursor()  # its own transaction, untouched by results the session's caller left open
            try:
                cursor.execute(limit_setting(memory_limit)).fetchall()
                cursor.execute(f"USE {CATALOG}").fetchall()
                self._ensure(cursor, stream)
                return self._commit_page(cursor, stream, batch, checkpoint)
            finally:
                cursor.close()

    def _recover_page_connection(self, error: BaseException) -> None:
        """After a batch failed with the file invalidated: a session attaches it again on its connection; a hold
        has let go already (dropping its DuckDB instance when detaching failed), so the next attempt takes the
        file afresh."""
        session = getattr(self._local, "con", None)
        if session is not None:
            self.attach_again(session, error)

    def _commit_page(
        self, con: duckdb.DuckDBPyConnection, stream: Stream, page: pa.Table, checkpoint: Checkpoint
    ) -> list[int]:
        now = self._clock.now()
        con.execute("BEGIN TRANSACTION")
        try:
            then = sync_state.checkpoint_statements(self.schema, checkpoint, now)
            written = apply_staged(con, self.schema, stream, page, now, then)
            con.execute("COMMIT")
        except BaseException as error:
            _rollback(con)
            if isinstance(error, duckdb.Error):
                raise WarehouseError(
                    f"applying a page of {stream.name!r} to {self.path} failed; nothing of it was written: {error}"
                ) from error
            raise
        return written.to_pylist()

    # --- sync-side reads (through the writer lock, so they queue with syncs instead of failing on them) ---------

    def load_checkpoint(self, stream_name: str, window_start: int, window_end: int) -> Checkpoint | None:
        return self._query(
            lambda con: sync_state.load_checkpoint(con, self.schema, stream_name, window_start, window_end), None
        )

    def checkpoints(self, stream_name: str) -> list[Checkpoint]:
        return self._query(lambda con: sync_state.list_checkpoints(con, self.schema, stream_name), [])

    def high_water_mark(self, stream_name: str) -> int | None:
        """The newest ordering timestamp (epoch seconds) stored for the stream; None when it has no rows."""
        sql = f"SELECT max(_ordering_ts) FROM {ddl.qualified(self.schema, stream_name)}"
        return self._query(lambda con: con.execute(sql).fetchone()[0], None)

    def row_count(self, stream_name: str) -> int:
        sql = f"SELECT count(*) FROM {ddl.qualified(self.schema, stream_name)}"
        return self._query(lambda con: con.execute(sql).fetchone()[0], 0)

    def _query(self, read: Any, when_absent: Any) -> Any:
        """``read(con)``, or ``when_absent`` when the file, schema or table does not exist yet."""
        if not self.path.exists() and self._own_connection() is None:
            return when_absent
        with self._page_connection() as con:  # the kept instance: no new DuckDB per question
            try:
                return read(con)
            except duckdb.CatalogException:
                return when_absent


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # the transaction may already be gone (the failing statement aborted it)
        con.execute("ROLLBACK")
