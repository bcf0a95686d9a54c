"""When a writer's checkpoint should vacuum: only once a table it wrote has enough waste to be worth rewriting.

A vacuuming checkpoint rewrites row groups: it drops the superseded versions an upsert deleted and merges row
groups that together fit in fewer. Both cost a rewrite of every row in the groups concerned, whatever the share of
waste in them, so vacuuming whenever a sync lets go paid for work that bought nothing. Measured on a full sync of
1,000,000 tickets (pure inserts, ``bench/figures/memory.py``'s large sync): DuckDB's automatic checkpoints leave
row groups of ~12,000 rows (every 16 MB of write-ahead log), and the closing vacuum merged 84 of them into 9 in
11.9 s of a 60 s sync (+17 MB peak RSS), after which the file was larger (372 MB vs 203 MB: the old blocks stay
free for reuse) and typical queries were no faster (group by status 3.3 vs 2.9 ms, by day 56 vs 58 ms, a JSON
filter 711 vs 748 ms, a lookup by id 3.6 vs 4.9 ms).

So a table is due for a vacuum when either waste is real:

- **dead rows**: at least :data:`DEAD_SHARE` of its stored rows are superseded versions (like PostgreSQL's
  ``autovacuum_vacuum_scale_factor``); scans read them and the file keeps them;
- **tiny row groups**: it has at least :data:`MIN_GROUPS` row groups holding fewer than :data:`MIN_ROWS_PER_GROUP`
  rows on average, which is what many small incremental syncs leave (one group per sync); each group costs
  metadata per column and a scan step. The floor on the count matters because a vacuuming checkpoint vacuums
  every table of the file that has something to merge, not just the one due: without it, organizations (500 rows
  in 2 groups after one incremental sync) made every incremental sync at demo scale merge ticket events' ~30
  groups too (2 s more per sync, figure 7).

Both are read from DuckDB's catalogue (``duckdb_tables().estimated_size`` counts stored rows, deleted ones
included; ``count(*)`` the live ones) and ``pragma_storage_info`` (row groups): ~110 ms for a 1,000,000-ticket
table, a few ms for small ones. Only tables written since the file was taken are asked (a release with nothing
written checkpoints nothing). The vacuum then runs on :data:`VACUUM_THREADS` threads (writers let go to vacuum
when they have nothing else to do: 7.4 s instead of 11.9 s for the merge above).

What DuckDB reclaims (its ``RowGroupCollection::ScheduleVacuumTasks``): it never rewrites a single row group to
drop its deleted rows; it merges up to four adjacent groups whose live rows fit in fewer, and declines merges that
would rewrite a big group to absorb a small tail. So deletions spread evenly over full groups are reclaimed only
once they pass ~25 % of them, and a due vacuum DuckDB declines costs a checkpoint and this check, nothing more. In
the bench (200,000 upserts into 1,000,000 tickets, then a vacuum) the small groups syncs append make the merges
possible: 359,677 stored rows became 317,898 (all live) in a 300,000-row version of it.

What this defers: once any table is due, the vacuuming checkpoint also merges the ~12,000-row groups a full sync
left in the other tables, once (the cost the full sync no longer pays at its end).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from .ddl import quote

DEAD_SHARE = 0.2
MIN_ROWS_PER_GROUP = 4096  # two DuckDB vectors; a full row group holds 122,880
MIN_GROUPS = 16
VACUUM_THREADS = 2


@dataclass(frozen=True)
class TableShape:
    """What a table's storage holds: rows stored (live and deleted), rows live, row groups."""

    stored: int
    live: int
    row_groups: int

    @property
    def dead_share(self) -> float:
        return (self.stored - self.live) / self.stored if self.stored else 0.0

    @property
    def rows_per_group(self) -> float:
        return self.stored / self.row_groups if self.row_groups else float("inf")

    @property
    def due(self) -> bool:
        """Worth a vacuuming checkpoint (see the module docstring)."""
        tiny_groups = self.row_groups >= MIN_GROUPS and self.rows_per_group < MIN_ROWS_PER_GROUP
        return self.dead_share >= DEAD_SHARE or tiny_groups


def table_shape(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> TableShape | None:
    """The table's :class:`TableShape`, or None when it does not exist. Identifiers are passed as values."""
    found = con.execute(
        "SELECT estimated_size FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [catalog, schema, table],
    ).fetchone()
    if found is None:
        return None
    name = ".".join(quote(part) for part in (catalog, schema, table))
    live = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    groups = con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info(?)", [name]).fetchone()[0]
    return TableShape(stored=int(found[0]), live=int(live), row_groups=int(groups))


def first_due(
    con: duckdb.DuckDBPyConnection, catalog: str, tables: Iterable[tuple[str, str]]
) -> tuple[str, str] | None:
    """The first of ``tables`` (schema, table) due for a vacuum, or None."""
    for schema, table in tables:
        shape = table_shape(con, catalog, schema, table)
        if shape is not None and shape.due:
            return schema, table
    return None


def nudge(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> None:
    """Make the next checkpoint vacuum although nothing was written since the last one: DuckDB 2.0.1 skips its
    vacuum then (a checkpoint after deletes or updates alone does not merge either), but not after a catalogue
    change. The change is the table's comment, set to what it already is: atomic, and no row or column changes.
    ``test_vacuum`` checks that this still makes DuckDB vacuum."""
    name = ".".join(quote(part) for part in (catalog, schema, table))
    comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [catalog, schema, table],
    ).fetchone()
    text = None if comment is None else comment[0]
    literal = "NULL" if text is None else "'" + text.replace("'", "''") + "'"
    con.execute(f"COMMENT ON TABLE {name} IS {literal}").fetchall()
