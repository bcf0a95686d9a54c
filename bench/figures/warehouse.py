"""Figures 3 and 9, both reports with no goal: the warehouse's own upsert rate into a table already holding
``profile.warehouse_rows`` rows, and what publishing a file of that many tickets costs in time and disk.

The measurements are ``bench/warehouse_speed.py``'s: :func:`~bench.warehouse_speed.measure_upsert_rate` (pages of
70 % newer versions and 30 % new tickets through the sync engine, publishing at the end) and
:func:`~bench.warehouse_speed.measure_publish` (``Warehouse.publish``: checkpoint, byte copy, fsync, rename;
against DuckDB's ``COPY FROM DATABASE`` into a fresh file).
"""

from __future__ import annotations

from bench import warehouse_speed as ws
from bench.common import Figure
from bench.figures import Profile


def measure(profile: Profile) -> list[Figure]:
    rows = profile.warehouse_rows
    upserts = ws.measure_upsert_rate(existing_rows=rows, pages=profile.warehouse_pages)
    rate = upserts["rows_per_second"]
    upsert_note = (
        f"bench.warehouse_speed.measure_upsert_rate: {int(upserts['rows']):,} rows (70 % newer versions, 30 % new) "
        f"through the sync engine in {int(upserts['transactions'])} transactions and {upserts['seconds']:.1f} s, "
        f"publish at the end included ({upserts['publish_seconds']:.1f} s); until the last commit "
        f"{upserts['writes_rows_per_second']:,.0f} rows/s; peak RSS {upserts['peak_rss_mb']:.0f} MB"
    )
    publish = ws.measure_publish(rows)
    publish_note = (
        f"bench.warehouse_speed.measure_publish: working file {publish['working_mb']:,.0f} MB; Warehouse.publish "
        f"(checkpoint + byte copy + fsync + rename) {publish['copy_seconds']:.1f} s → {publish['copy_mb']:,.0f} MB; "
        f"COPY FROM DATABASE into a fresh file {publish['rewrite_seconds']:.1f} s → {publish['rewrite_mb']:,.0f} MB"
    )
    return [
        Figure(
            3, f"warehouse only: upsert into {rows:,} rows", f"{rate:,.0f} rows/s", "report", None, upsert_note, upserts
        ),
        Figure(
            9,
            f"publish the file users query at {rows:,} tickets",
            f"{publish['copy_seconds']:.1f} s, {publish['copy_mb']:,.0f} MB",
            "report",
            None,
            publish_note,
            publish,
        ),
    ]
