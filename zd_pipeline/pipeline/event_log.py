"""Dagster's SQLite event log, made cheap per event: the storage ``dagster.yaml`` configures for the instance.

Why: a sync over a range of daily partitions makes Dagster store two events per asset and partition (planned,
materialized): 1,456 for the demo's 91 days and 8 streams. Dagster's :class:`SqliteEventLogStorage` pays
~7 ms for each one on this machine (py-spy): it builds a new SQLAlchemy engine per write, which also throws
away SQLAlchemy's compiled-statement cache (so every INSERT is compiled again), and commits the run's database
and the cross-run index database once per event. That was ~10 s of a 33 s demo sync (``bench`` figure 4).

What this subclass changes, nothing else:

- **One engine per database file**, kept (at most :data:`MAX_ENGINES`, least recently used dropped), each
  keeping one SQLite connection open between uses. Dagster's storage opened a connection per write, so SQLite
  parsed the database's schema every time, and closing the last connection of a WAL-mode database checkpoints
  it and deletes its ``-wal`` file: 1.8 ms per stored log event, 0.5 ms with the connection kept (stop 21).
  The databases are in WAL mode (Dagster sets it), so an open connection holds no lock between transactions:
  other processes (webserver, daemon, run workers) read and write meanwhile and see every write once it
  commits, as before (:func:`.sqlite_storages.kept_engine`, shared with the run and schedule storages). A
  forked child leaves its parent's engines alone (:class:`.sqlite_storages.ProcessEngines`).
- **Batches in one transaction per database.** Dagster already hands a range run's planned and materialization
  events to ``store_event_batch`` as one batch, but only when ``DAGSTER_EVENT_BATCH_SIZE`` is set (it reads the
  variable at every event), and SQLite's storage then stored them one by one anyway. This storage writes the
  asset events of a batch with one transaction on the run's database and one on the index (the same rows, in
  the same order, as one ``store_event`` each), and sets ``DAGSTER_EVENT_BATCH_SIZE`` to
  :data:`BATCH_SIZE` in its process unless the variable is set (``0`` turns batching off). Other events of a
  batch (asset check plans) go through ``store_event``.
- **Each event serialised once** for both databases, a batch's rows inserted with one statement per database
  (index ids from ``RETURNING``), and an asset's row in the asset table written once per batch
  (:meth:`BatchingSqliteEventLogStorage._store_asset_keys`); a planned check's rows (one per partition) share one
  serialisation of the event.

Measured (``python -m bench.run --only 4``, demo scale, same machine): the demo sync took 33.0 s with Dagster's
storage and 22.4 s with engines and batches (the run itself 24.5 → 18.6 s; the rest was the planned events
written before the run starts); serialising once took it from 14.3-14.9 s to 12.0-12.1 s (stop 17).

The files, tables and rows are Dagster's own: an instance can switch between this class and Dagster's default
at any time and keeps its history. For PostgreSQL, replace the storage block in ``dagster.yaml``; none of this
applies there.

Limits, stated: the two databases cannot share a transaction (as with Dagster's per-event writes). If the index
write of a batch fails after the run's database committed, Dagster stores the batch again event by event, so the
run's own log can list those events twice; the index, which asset pages and partition status read, gets them
once. The class overrides private methods of Dagster's SQLite storage (``_connect``, and calls ``_initdb``,
``_store_asset_event_tags``, ``_store_asset_event``): Dagster is pinned (``pyproject.toml``), and
``zd_pipeline_tests/pipeline/test_event_log.py`` compares what it stores with Dagster's default storage, so an
upgrade that changes them fails there first.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, AssetKeyTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData, serialize_value
from sqlalchemy import exc as db_exc
from sqlalchemy.engine import Connection, Engine

from .sqlite_storages import DagsterHomeConfig, ProcessEngines, kept_engine

MAX_ENGINES = 16  # a webserver reads many runs' databases; engines are small but not free
BATCH_SIZE = 1000  # events Dagster buffers before it hands them over (a batch's end flushes sooner)
BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"


def event_log_folder(dagster_home: str) -> str:
    """Where Dagster's default SQLite storage keeps the event databases of the instance in ``dagster_home``."""
    return os.path.join(dagster_home, "history", "runs", "")


class BatchingSqliteEventLogStorage(DagsterHomeConfig, SqliteEventLogStorage):
    """:class:`SqliteEventLogStorage` with kept engines and one transaction per batch (module docstring).

    Configured in ``dagster.yaml`` with the instance folder (``dagster_home``, normally ``{env: DAGSTER_HOME}``);
    the databases live where Dagster's default puts them.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._process_engines = ProcessEngines()
        self._tables: set[str] = set()
        os.environ.setdefault(BATCH_SIZE_VARIABLE, str(BATCH_SIZE))
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_dagster_home(cls, dagster_home: str, inst_data: ConfigurableClassData | None) -> Self:
        return cls(event_log_folder(dagster_home), inst_data=inst_data)

    @property
    def _engines(self) -> OrderedDict[str, Engine]:
        """This process's engine per shard, least recently used first."""
        return self._process_engines.mine()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """As Dagster's (one transaction, under the storage's lock), on the shard's kept engine."""
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engines = self._engines
        engine = engines.get(shard)
        if engine is not None:
            engines.move_to_end(shard)
            return engine
        engine = kept_engine(self.conn_string_for_shard(shard))
        engines[shard] = engine
        while len(engines) > MAX_ENGINES:
            engines.popitem(last=False)[1].dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        """Dagster asks this for every asset event it stores; a table never disappears, so a yes is kept."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store ``events`` in order: runs of asset events in one transaction per database, others one by one."""
        group: list[EventLogEntry] = []
        for event in events:
            if _is_asset_event(event):
                group.append(event)
                continue
            self._store_asset_events(group)
            group = []
            self.store_event(event)
        self._store_asset_events(group)

    def _store_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """What ``store_event`` writes for each of ``events`` (all asset events), in two transactions per run:
        each event serialised once for both databases, one statement for many rows."""
        if not events:
            return
        rows = [self._event_to_row(event) for event in events]
        for run_id in dict.fromkeys(event.run_id for event in events):
            with self.run_connection(run_id) as conn:
                conn.execute(SqlEventLogStorageTable.insert(), [row for row in rows if row["run_id"] == run_id])
        with self.index_transaction() as conn:
            insert = SqlEventLogStorageTable.insert().returning(
                SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
            )
            ids = [row[0] for row in conn.execute(insert, rows)]
            self._store_asset_event_tags(conn, events, ids)
            self._store_asset_keys(conn, events, ids)

    def _store_asset_keys(self, conn: Connection, events: Sequence[EventLogEntry], ids: Sequence[int]) -> None:
        """The asset table's rows as Dagster's ``_store_asset_event`` leaves them after each event in turn, with
        one write per asset: an event overwrites the columns it sets, and every event of a kind sets the same
        columns, so each column ends with the value of the last event of a kind that sets it. Only the last
        event of each (asset, kind) is therefore serialised, and they are merged in the batch's order."""
        last: dict[tuple[str, str], int] = {}
        for position, event in enumerate(events):
            dagster_event = event.get_dagster_event()
            last[(dagster_event.asset_key.to_string(), dagster_event.event_type_value)] = position
        indexed = self._has_asset_key_index_cols_on_connection(conn)
        merged: dict[str, dict[str, Any]] = {}
        for (asset_key, _), position in sorted(last.items(), key=lambda item: item[1]):
            values = self._get_asset_entry_values(events[position], ids[position], indexed)
            if values:
                merged.setdefault(asset_key, {}).update(values)
        for asset_key, values in merged.items():
            try:
                conn.execute(AssetKeyTable.insert().values(asset_key=asset_key, **values))
            except db_exc.IntegrityError:
                conn.execute(AssetKeyTable.update().values(**values).where(AssetKeyTable.c.asset_key == asset_key))

    def _store_asset_check_evaluation_planned(self, event: EventLogEntry, event_id: int | None) -> None:
        """Dagster's rows (one per partition of the planned check), with the event serialised once instead of
        once per partition and one statement for them all."""
        planned = event.get_dagster_event().event_specific_data
        keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        row = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert(), [{**row, "partition": key} for key in keys])

    def dispose(self) -> None:
        super().dispose()
        engines = self._engines
        while engines:
            engines.popitem()[1].dispose()


def _is_asset_event(event: EventLogEntry) -> bool:
    dagster_event = event.dagster_event
    return (
        dagster_event is not None and dagster_event.event_type in ASSET_EVENTS and dagster_event.asset_key is not None
    )
