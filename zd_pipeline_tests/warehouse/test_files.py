"""What is at the warehouse path and beside it: never a foreign file overwritten, every bad path named with its fix,
a missing or old-layout file repaired without losing a row."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import NotADuckDBFileError, Warehouse, WarehouseError
from zd_pipeline.warehouse.files import WarehouseFiles, check_location, writer_lock

from .records import BASE, WINDOW, page_checkpoint, ticket

CP = page_checkpoint("tickets", 1)

NOBODY = 65534


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
    assert sorted(p.name for p in tmp_path.iterdir()) == [".zendesk.lock", "zendesk.duckdb"]  # no working copy made


def test_a_working_file_that_is_not_duckdb_is_refused_and_left_untouched(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "zendesk.duckdb")
    wh.files.working.write_bytes(b"notes")
    with pytest.raises(NotADuckDBFileError, match=f"{wh.files.working} exists but is not a DuckDB database"):
        wh.ensure_tables()
    assert wh.files.working.read_bytes() == b"notes" and not wh.path.exists()


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


def _refusal_for_another_user(action: Callable[[], object]) -> str:
    """The :class:`WarehouseError` message ``action`` gets from a user who owns nothing here ("" if none).

    The tests run as root, which permissions do not stop: then ``action`` runs in a forked child as ``nobody``
    (it must be plain Python, no DuckDB: the child only checks paths and opens the lock). Otherwise this user
    is that user already (the folder's mode is set by the caller).
    """
    if os.geteuid() != 0:
        try:
            action()
        except WarehouseError as error:
            return str(error)
        return ""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child process)
        message = ""
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            action()
        except WarehouseError as error:
            message = str(error)
        except BaseException as error:
            message = f"unexpected {type(error).__name__}: {error}"
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read().decode()


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach but not write into (mode 0755, ours; 0555 when we are not root)."""
    base = Path(tempfile.mkdtemp(prefix="zd-perm-", dir="/tmp"))
    folder = base / "warehouse"
    folder.mkdir()
    base.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(base)


def test_a_folder_this_user_cannot_write_is_named_with_its_fix(shared_folder: Path) -> None:
    existing = shared_folder / "zendesk.duckdb"
    Warehouse(existing).apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    shared_folder.chmod(0o755 if os.geteuid() == 0 else 0o555)
    assert re.search(
        f"warehouse folder {shared_folder} is not writable by this user: .*fix the folder's mode",
        _refusal_for_another_user(lambda: check_location(existing)),
    )
    files = WarehouseFiles.at(shared_folder / "new.duckdb")
    lock = _refusal_for_another_user(lambda: writer_lock(files, 1).__enter__())
    assert "not writable by this user" in lock
    assert Warehouse(existing).row_count("tickets") == 1  # nothing lost; readers need no write permission


def test_the_hidden_files_say_what_they_are(tmp_path: Path) -> None:
    files = WarehouseFiles.at(tmp_path / "acme.duckdb")
    assert (files.working.name, files.publishing.name, files.lock.name) == (
        ".acme.working.duckdb",
        ".acme.publishing.duckdb",
        ".acme.lock",
    )


def test_a_deleted_published_file_is_published_again_by_the_next_writer(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "zendesk.duckdb")
    wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    wh.path.unlink()
    assert wh.row_count("tickets") == 0  # nothing published: readers see no rows, a writer repairs it
    wh.ensure_tables()
    assert wh.row_count("tickets") == 1


def test_a_deleted_working_file_is_made_again_from_the_published_one(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "zendesk.duckdb")
    wh.apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    wh.files.working.unlink()
    wh.apply_page(TICKETS, [ticket(2, BASE)], page_checkpoint("tickets", 2))
    assert wh.row_count("tickets") == 2
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 2)


def test_a_file_of_the_old_single_file_layout_is_migrated_on_the_first_write_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """Earlier releases kept the raw tables in a schema named after the account, in the file users query."""
    path = tmp_path / "zendesk.duckdb"
    Warehouse(tmp_path / "new.duckdb").apply_page(TICKETS, [ticket(1, BASE), ticket(2, BASE)], CP)
    with duckdb.connect(str(path)) as con:  # the old layout, built from a new file's tables
        con.execute(f"ATTACH '{tmp_path / 'new.duckdb'}' AS new (READ_ONLY)")
        con.execute("CREATE SCHEMA zendesk")
        for table in ("tickets", "_sync_state"):
            con.execute(f"CREATE TABLE zendesk.zendesk.{table} AS SELECT * FROM new.main.{table}")
        con.execute("CREATE SCHEMA analytics")
        con.execute("CREATE TABLE analytics.kept AS SELECT 42 AS answer")
    for leftover in (".lock", ".waiting", ".memory.json"):
        path.with_name(path.name + leftover).write_text("")
    wh = Warehouse(path)
    wh.apply_page(TICKETS, [ticket(3, BASE)], page_checkpoint("tickets", 2))
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT id FROM tickets ORDER BY id").fetchall() == [(1,), (2,), (3,)]
        assert con.execute("SELECT count(*) FROM zendesk.tickets").fetchone() == (3,)  # the catalog, not a schema
        assert con.execute("SELECT answer FROM analytics.kept").fetchone() == (42,)
        schemas = {row[0] for row in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert "zendesk" not in schemas
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 2)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("zendesk")) == ["zendesk.duckdb"]
