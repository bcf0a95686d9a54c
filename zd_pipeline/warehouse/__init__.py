"""The DuckDB warehouse: applies pages of Zendesk records to typed tables, exactly and atomically, and publishes a
copy users query without ever waiting for the pipeline (nor making it wait).

Knows nothing of HTTP or Dagster: it takes pages of records (plain dicts, or the records' JSON text as
:class:`~zd_pipeline.records.RawRecords`) for a catalogue :class:`~zd_pipeline.catalogue.Stream` and a
:class:`~zd_pipeline.checkpoint.Checkpoint`, and applies both in one transaction. ``docs/warehouse.md`` is the
user's view; in short:

- **Files** (:mod:`.files`): one account, one published file (``ZD_DUCKDB_PATH``, ``data/<account>.duckdb``) that
  users open read-only, and beside it the hidden working file ``.<account>.working.duckdb`` that only the pipeline
  opens, under an exclusive ``flock`` on ``.<account>.lock`` held for the write connection's life
  (:meth:`Warehouse.writing`). Dagster's run queue keeps one run per account (tag ``zd/account``); the lock is the
  safety net and says clearly who holds it. After each run, and every :data:`PUBLISH_SECONDS` during a long one,
  the working file is checkpointed, copied to ``.<account>.publishing.duckdb``, fsynced and renamed over the
  published file. A reader's open session keeps the copy it opened; the next session sees the new one.
- **Repair** on every writer's start: leftover temp files are removed; a missing working file is made from the
  published one (a file of the old single-file layout is migrated: :mod:`.migrate`); a missing published file is
  published at the run's end.
- **Tables** are built from the catalogue alone (:mod:`.ddl`), in the file's default schema ``main`` (so
  ``tickets`` and ``zendesk.tickets`` both resolve in a session on ``zendesk.duckdb``); analytics tables live in
  schema ``analytics`` of the same file. Typed columns under Zendesk's field names plus ``_raw`` (the whole record),
  ``_synced_at``, ``_ordering_ts`` and the tombstone ``_deleted``. Nothing is hard-deleted.
- **Schema drift**: unknown keys stay in ``_raw`` only; a known field whose value no longer fits its column is
  NULL there (VARCHAR columns take its JSON text) and intact in ``_raw``. A record without ``id`` or a readable
  ordering timestamp fails its page with :class:`BadRecordError` (nothing written).
- **Newest wins** (:mod:`.merge`): UPSERT streams replace a stored row only with a newer record (or an equally new
  one with different content); APPEND streams insert or ignore by id. Pages are converted to Arrow column by column
  (:mod:`.arrow_page`, :mod:`.arrow_raw`) and merged set-based. A change-log stream (the routing exports) also
  keeps every change it received in ``<table>_history`` (:mod:`.history`), written in the page's transaction.
- **Checkpoints** (``_sync_state``) are written in the page's transaction, so a process killed at any instant
  loses nothing and a resume re-reads at most one batch.
- **DuckDB on its defaults**, except one memory limit (``ZD_DUCKDB_MEMORY_LIMIT``) on every connection opened
  here; running out fails the step with :class:`WarehouseMemoryError` naming that setting, after a rollback.
"""

from .errors import BadRecordError, NotADuckDBFileError, WarehouseError, WarehouseLockedError, WarehouseMemoryError
from .files import WarehouseFiles
from .pages import PageResult, PreparedPage
from .warehouse import PUBLISH_SECONDS, RAW, Warehouse

__all__ = [
    "PUBLISH_SECONDS",
    "RAW",
    "BadRecordError",
    "NotADuckDBFileError",
    "PageResult",
    "PreparedPage",
    "Warehouse",
    "WarehouseError",
    "WarehouseFiles",
    "WarehouseLockedError",
    "WarehouseMemoryError",
]
