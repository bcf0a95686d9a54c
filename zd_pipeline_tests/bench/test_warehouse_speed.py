"""Figures 3 and 9 at a toy size: what they report is what happened (never asserts timings)."""

from __future__ import annotations

import random
from pathlib import Path

from bench import warehouse_speed as ws
from zd_pipeline.warehouse import Warehouse


def test_the_upserts_go_through_the_engine_and_are_published(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bench.duckdb")
    ws.load(wh, 1_500)
    assert wh.row_count("tickets") == 1_500
    pages = ws.upsert_pages(1_500, 3, 200, random.Random(7))
    new = sum(1 for page in pages for record_id in page.ids if record_id > 1_500)
    figures = ws.engine_upserts(wh, pages)
    assert figures["rows"] == 600 and figures["transactions"] >= 1
    assert wh.row_count("tickets") == 1_500 + new  # read from the published file: the run's end published
    assert figures["rows_per_second"] == figures["rows"] / figures["seconds"]


def test_both_publish_methods_leave_a_file_with_every_row() -> None:
    figures = ws.measure_publish(2_000)
    assert figures["rows"] == 2_000
    assert figures["copy_mb"] > 0 and figures["rewrite_mb"] > 0 and figures["working_mb"] > 0
