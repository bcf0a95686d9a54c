"""What is at the warehouse path: never a foreign file overwritten, every bad path named with its fix."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import NotADuckDBFileError, Warehouse, WarehouseError
from zd_pipeline.warehouse.connections import check_writable_database, lock_path, writer_lock

from .records import BASE, page_checkpoint, ticket

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


def test_a_folder_or_file_this_user_cannot_write_is_named_with_its_fix(shared_folder: Path) -> None:
    existing = shared_folder / "zendesk.duckdb"
    Warehouse(existing).apply_page(TICKETS, [ticket(1, BASE)], page_checkpoint("tickets", 1))
    existing.chmod(0o666)  # the file is writable, its folder is not: DuckDB could not write its WAL
    for path in (existing, lock_path(existing)):
        path.chmod(0o666)
    shared_folder.chmod(0o755 if os.geteuid() == 0 else 0o555)
    assert re.search(
        f"warehouse folder {shared_folder} is not writable by this user: .*{existing.name}.wal.*fix the folder",
        _refusal_for_another_user(lambda: check_writable_database(existing)),
    )
    new = shared_folder / "new.duckdb"
    assert "its folder is not writable; choose another path" in _refusal_for_another_user(
        lambda: check_writable_database(new)
    )
    lock = _refusal_for_another_user(lambda: writer_lock(new, time.monotonic() + 1, 1).__enter__())
    assert f"cannot create the writer lock {lock_path(new)}" in lock and "folder must be writable" in lock
    existing.chmod(0o644)
    assert f"warehouse file {existing} is not readable and writable by this user: fix its mode" in (
        _refusal_for_another_user(lambda: check_writable_database(existing))
    )
    assert Warehouse(existing).row_count("tickets") == 1  # nothing lost
