"""From the single-file layout of earlier releases to this one, once, on the first write.

Earlier releases kept one file at ``ZD_DUCKDB_PATH`` with the raw tables and ``_sync_state`` in a schema named after
the account (``zendesk``), which clashed with the catalog DuckDB names after the file (``zendesk.duckdb``). Now the
raw tables live in the file's default schema ``main``. The first writer copies the old file (and its ``.wal``) to
the working file (:func:`.files.seed_working`), moves every table of the old schema into ``main`` in one
transaction here, and publishes the result over the old file: rows, checkpoints and analytics tables carry over,
and until that publish the old file stays untouched. The old layout's lock and memory files beside it are removed.
"""

from __future__ import annotations

import duckdb

from zd_pipeline.catalogue import STREAMS

from . import ddl
from .files import WarehouseFiles

OLD_SIDE_FILES = (".lock", ".waiting", ".memory.json")
_SCRATCH = "zd_migrate_scratch"


def old_schemas(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Schemas other than ``main`` holding a ``_sync_state`` table: the old layout's account schemas."""
    rows = con.execute(
        "SELECT DISTINCT table_schema FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name = ? AND table_schema <> ?",
        [ddl.SYNC_STATE_TABLE, ddl.RAW_SCHEMA],
    ).fetchall()
    return sorted(row[0] for row in rows)


def move_to_main(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Move every table of ``schema`` into ``main`` (catalogue tables into freshly made ones, keeping their
    constraints; others as they are) and drop ``schema``, in one transaction. The caller created ``main``'s
    catalogue tables already."""
    known = {stream.table for stream in STREAMS.values()} | {ddl.SYNC_STATE_TABLE}
    tables = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = ? AND table_type = 'BASE TABLE'",
            [schema],
        ).fetchall()
    ]
    # three-part names: the working file's catalog may carry the account's name too (the clash this move ends)
    catalog = ddl.quote(con.execute("SELECT current_database()").fetchone()[0])
    con.execute(f"ATTACH ':memory:' AS {_SCRATCH}")
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            old, new = f"{catalog}.{ddl.qualified(schema, table)}", f"{catalog}.{ddl.qualified(ddl.RAW_SCHEMA, table)}"
            if table in known:
                con.execute(f"DELETE FROM {new}")
                con.execute(f"INSERT INTO {new} BY NAME SELECT * FROM {old}")
            else:
                con.execute(f"CREATE OR REPLACE TABLE {new} AS SELECT * FROM {old}")
        # DuckDB (2.0) calls ``DROP SCHEMA catalog.schema`` ambiguous when both carry one name, unless the
        # connection stands in another catalog meanwhile
        con.execute(f"USE {_SCRATCH}")
        con.execute(f"DROP SCHEMA {catalog}.{ddl.quote(schema)} CASCADE")
        con.execute(f"USE {catalog}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        con.execute(f"USE {catalog}")
        raise
    finally:
        con.execute(f"DETACH {_SCRATCH}")


def remove_old_side_files(files: WarehouseFiles) -> None:
    for suffix in OLD_SIDE_FILES:
        files.published.with_name(files.published.name + suffix).unlink(missing_ok=True)
