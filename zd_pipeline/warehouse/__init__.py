"""The DuckDB warehouse: applies pages of Zendesk records to typed tables, exactly and atomically.

Knows nothing of HTTP or Dagster: it takes pages of records (plain dicts as Zendesk's JSON gives them, or the
records' JSON text as :class:`~zd_pipeline.records.RawRecords`, which the client hands over) for a
catalogue :class:`~zd_pipeline.catalogue.Stream` and a :class:`~zd_pipeline.checkpoint.Checkpoint`, and applies both
in one transaction.

Design summary (copied into the README):

- **Tables** are built from the catalogue alone: ``"<schema>"."<stream>"`` per stream (schema = the account,
  default ``zendesk``), ``id`` NOT NULL (BIGINT, or VARCHAR for routing UUIDs; unique by construction of the
  merge, with no PRIMARY KEY index: see ``merge``), typed columns under Zendesk's field names (TIMESTAMPTZ from
  ISO strings or epoch ints, VARCHAR[]/BIGINT[] lists, JSON for nested objects), plus ``_raw JSON`` (the whole
  record, zstd-compressed), ``_synced_at``, ``_ordering_ts`` (epoch of the ordering field) and ``_deleted`` (the
  tombstone: tickets with status ``deleted``, users with ``active`` false). Nothing is hard-deleted.
  ``ensure_tables`` is idempotent and adds columns a newer catalogue declares.
- **Schema drift**: keys the catalogue does not know stay in ``_raw`` only (query them as
  ``_raw->>'new_field'``); they never become columns, because a sync that issues DDL would take schema locks,
  could collide with a column named by a later catalogue with another type, and would make table shapes depend on
  which records happened to arrive. A known field whose value no longer fits its column type is NULL in that
  column (VARCHAR columns take its JSON text) and intact in ``_raw``. A record without ``id`` or a readable
  ordering timestamp fails the page with :class:`BadRecordError` naming the stream (nothing written).
- **Newest wins**: per write (one page, or a batch of consecutive pages of one stream via ``apply_pages``),
  duplicates are resolved first (newest ordering timestamp, ties → last in the page / later page);
  an UPSERT stream's stored row is replaced only by a newer record, or an equally new one with different content.
  An old backfill never overwrites newer state, and the same page twice writes nothing. APPEND streams insert or
  ignore by id. Each page is converted to Arrow column by column (msgspec decodes only the typed columns of
  ``RawRecords`` and their text is ``_raw``; dicts go through orjson); the batch is merged by one
  join (stored timestamps and rowids), a delete by rowid and one ``INSERT ... SELECT`` from Arrow.
- **Checkpoints** (``_sync_state``: stream, window_start, window_end, resume, high_water_mark, complete,
  updated_at) are written in the write's transaction (a batch stores its last page's), so a process killed at any
  instant loses nothing and a resume re-reads at most one write (one page, or one batch).
- **Concurrency**: writers of any process or thread take an exclusive ``flock`` on ``<file>.lock`` first, then
  retry DuckDB's own lock error (someone else's open connection) up to ``lock_timeout`` before
  :class:`WarehouseLockedError` says which file and what to close. A write attaches the file to an in-memory
  DuckDB the process keeps (creating one costs 15-50 ms, attaching ~1 ms) and detaches it afterwards, which
  checkpoints and releases the file like closing a connection. A sync's writer (``with wh.holding():``, the
  engine's) keeps the file attached between its writes instead, and lets it go at the next write boundary when
  a reader or writer of this package announces it waits (shared ``flock`` on ``<file>.waiting``), when the
  engine has had no page for a moment (``let_go``), after ``HOLD_SECONDS`` and at the end (``page_writer``).
  ``read()`` waits up to ``read_timeout`` and then explains that a sync is writing. ``load_checkpoint``/
  ``checkpoints``/``high_water_mark``/``row_count`` go through the writer lock (and the kept instance), so they
  queue behind a sync instead of failing.
- **Memory**: DuckDB runs under a budget per file (``memory``): 32 MB for writes, 128 MB for a vacuuming
  checkpoint, 32 MB for the asset checks and 1 GB for the analytics rebuild to start with, doubled each time
  DuckDB runs out (the batch is rolled back and applied again, the check or the table's build run again), up to
  half the memory the process may use (a container's limit when lower), at most 4 GB (a start above that is
  lowered to it). What a budget grew to is kept in ``<file>.memory.json`` for the next process.
- **Bulk loads**: ``with wh.session(): ...`` holds one write connection across pages (no reopen, checkpoints
  deferred to a 64 MB WAL and forced at the end); readers and other writers wait for the whole session. When a
  checkpoint inside one of its commits fails (say, for memory), DuckDB invalidates the attached file; the session
  attaches it again and the batch is retried (``file_access``, which holds the per-thread ways into the file).
- **Pages** can be converted ahead of the write (``prepare``, e.g. in a fetcher thread) and handed to
  ``apply_pages`` as :class:`PreparedPage`.
- **Speed** (``.venv/bin/python -m bench.warehouse_speed``, 2 cores, 1.3 kB tickets, table of 1,000,000 rows;
  ``measure_upsert_rate`` is the figure): see the README's Warehouse section for the measured rates. What made
  them: one transaction per batch of waiting pages, the sync's writer keeping the file between writes (no
  checkpoint per write), conversion off the writer's thread, no PRIMARY KEY (its ART index slowed every write
  and checkpoint, and grew in memory with the table), a kept DuckDB instance per file, ``_raw`` compressed with
  zstd, and vacuuming only when a sync's writer goes idle or ends and a table it wrote has enough dead rows or
  tiny row groups to be worth the rewrite (``vacuum``). What remains per 1,000 tickets (writer
  thread): ~5 ms looking up stored ids (a join over the table's id column), ~5 ms delete and insert, ~14 ms
  commit and checkpoint (DuckDB's own work).
- **The GIL** (measured in stop 19): DuckDB's Python client takes the GIL back several times during every
  statement (to check for Ctrl-C, among others). With another thread busy in Python, each time waits up to
  Python's switch interval (5 ms): ``SELECT 1`` took 22 ms instead of 0.1 ms, a 6 ms join of 7,000 keys with
  1,000,000 rows 170 ms, inserting 7,000 staged tickets 85 ms instead of 25 ms (``/tmp`` script: a second
  thread looping in Python). In a sync that thread is a fetcher parsing pages, so the writer's DuckDB work
  slows while pages are parsed: figure 3's writer does 200,000 upserts in 3.4 s with the pages converted
  beforehand and 4.9 s with a fetcher converting them meanwhile. So a batch costs as few DuckDB calls as it can:
  the hold's connection is used as it is (no cursor, ``USE`` or ``SET memory_limit`` per batch unless the
  limit changed), and the delete, the insert and the checkpoint's statements go as one script (figure 3's engine
  phase 4.89-4.97 → 4.60-4.83 s, four runs each). A shorter switch interval (0.2 ms) helped in isolation, not
  measurably in the engine (the fetchers' long C calls, msgspec's decode of a page, still hold the GIL).
"""

from .errors import BadRecordError, NotADuckDBFileError, WarehouseError, WarehouseLockedError
from .memory import (
    MemoryBudget,
    analytics_budget,
    checks_budget,
    growing,
    is_out_of_memory,
    limited_on,
    page_budget,
    vacuum_budget,
)
from .pages import PageResult, PreparedPage
from .warehouse import Warehouse

__all__ = [
    "BadRecordError",
    "MemoryBudget",
    "NotADuckDBFileError",
    "PageResult",
    "PreparedPage",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "analytics_budget",
    "checks_budget",
    "growing",
    "is_out_of_memory",
    "limited_on",
    "page_budget",
    "vacuum_budget",
]
