"""What is at the warehouse path: never a foreign file overwritten, every bad path named with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import NotADuckDBFileError, Warehouse, WarehouseError

from .records import BASE, page_checkpoint, ticket


@pytest.mark.parametrize("content", [b"id,subject\n1,printer\n" * 100, b"SQLite format 3\x00" + b"\x00" * 4000, b""])
def test_a_file_that_is_not_duckdb_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "zendesk.duckdb"
    path.write_bytes(content)
    wh = Warehouse(path)
    for action in (wh.ensure_tables, lambda: wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))):
        with pytest.raises(NotADuckDBFileError, match=f"{path} exists but is not a DuckDB database.*ZD_DUCKDB_PATH"):
            action()
    with pytest.raises(NotADuckDBFileError), wh.read():
        pass
    assert path.read_bytes() == content
    assert not (tmp_path / "zendesk.duckdb.wal").exists()


def test_a_directory_or_an_uncreatable_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match=f"warehouse path {tmp_path} is a directory"):
        Warehouse(tmp_path).ensure_tables()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "sub" / "zendesk.duckdb"
    with pytest.raises(WarehouseError, match=f"{blocker / 'sub'}|{target}"):
        Warehouse(target).ensure_tables()


def test_reading_before_any_sync_says_so(tmp_path: Path) -> None:
    with (
        pytest.raises(WarehouseError, match=r"no warehouse at .*missing\.duckdb yet: run a sync first"),
        Warehouse(tmp_path / "missing.duckdb").read(),
    ):
        pass


def test_the_parent_folder_is_created(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "data" / "nested" / "zendesk.duckdb")
    wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    assert wh.row_count("tickets") == 1
