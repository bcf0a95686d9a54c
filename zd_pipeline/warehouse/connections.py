"""Short DuckDB connections and how writers take turns.

DuckDB (2.0) lets one process at a time open a file read-write, and while it does, no other process can open the
file at all, not even read-only. So:

- Writers (any process or thread using this package) first take an exclusive ``flock`` on ``<file>.lock`` beside
  the database, waiting up to ``timeout``; only then open DuckDB read-write, for one page, a sync's run of pages
  (``page_writer.HeldFile``) or one explicit session, and close it. ``flock`` locks belong to an open file
  description, so threads of one process serialise as well as processes do, and the kernel drops the lock of a
  killed process.
- Someone else's connection (a duckdb CLI, a notebook) holds no lock file; when it keeps the database open the
  writer retries DuckDB's lock error with a short backoff up to ``timeout``, then raises
  :class:`WarehouseLockedError` naming the file and what to close. Nothing committed is lost: the page simply was
  not applied and the checkpoint still points before it.
- Readers open read-only, retrying DuckDB's lock error for ``timeout``, then raise :class:`WarehouseLockedError`
  saying a sync is writing. Readers and writers that have to wait say so with a shared ``flock`` on
  ``<file>.waiting``; a sync holding the file across writes lets go at its next write boundary when it sees one.
- Before any write the file is checked: an existing file that is not a DuckDB database is never opened
  (:class:`NotADuckDBFileError`), and an unwritable location is reported (:class:`WarehouseError`).
- Every connection attaches the file under the fixed catalog alias ``zd_warehouse`` (see ``_attach``), so
  ``<schema>.<table>`` never collides with a catalog named after the file (``zendesk.duckdb`` + schema
  ``zendesk``). Inside one process a second attach of the file is refused by DuckDB ("unique file handle
  conflict") and is retried like a lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from .errors import NotADuckDBFileError, WarehouseError, WarehouseLockedError
from .memory import limit_setting, page_budget

_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_LOCK_MESSAGES = ("conflicting lock", "could not set lock", "different configuration", "unique file handle conflict")
CATALOG = "zd_warehouse"  # the alias every connection attaches the file under (see _attach)
_FIRST_BACKOFF, _MAX_BACKOFF = 0.005, 0.1


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def someone_waiting(path: Path) -> bool:
    """True while a reader or writer of this package waits for ``path`` (see :func:`_announce_waiting`)."""
    try:
        with waiting_path(path).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def waiting_path(path: Path) -> Path:
    return path.with_name(path.name + ".waiting")


def _announce_waiting(stack: ExitStack, path: Path) -> None:
    """Hold a shared ``flock`` on ``<file>.waiting`` until ``stack`` closes, so a writer holding the file across
    writes lets go at its next write boundary (``page_writer.HeldFile``). Best effort: no announcement when the
    folder is not writable."""
    try:
        handle = stack.enter_context(waiting_path(path).open("a"))
        fcntl.flock(handle, fcntl.LOCK_SH)
    except OSError:
        return


@contextmanager
def writer_connection(path: Path, timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection held under the writer lock; closed (and the lock released) on exit."""
    deadline = time.monotonic() + timeout
    with writer_lock(path, deadline, timeout):
        check_writable_database(path)
        con = connect_with_retry(path, read_only=False, deadline=deadline, timeout=timeout)
        try:
            yield con
        finally:
            con.close()


def run_each(con: duckdb.DuckDBPyConnection, statements: Iterable[str]) -> None:
    """Run ``statements`` one at a time on ``con`` (settings, DDL), each to its end."""
    for statement in statements:
        con.execute(statement).fetchall()


@contextmanager
def reader_connection(
    path: Path, timeout: float, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, waiting up to ``timeout`` for a writer to finish its page; closed on exit.
    ``memory_limit`` (DuckDB's syntax, e.g. ``'32MB'``) caps its queries, which spill to ``<file>.tmp`` beyond."""
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path} yet: run a sync first (or check ZD_DUCKDB_PATH)")
    _check_header(path)
    con = connect_with_retry(path, read_only=True, deadline=time.monotonic() + timeout, timeout=timeout)
    try:
        if memory_limit is not None:
            run_each(con, memory_settings(path, memory_limit))
        yield con
    finally:
        con.close()


def page_memory_settings(path: Path) -> tuple[str, str]:
    """:func:`memory_settings` at the file's page budget (``memory.page_budget``: 32 MB unless writes to it ran
    out before)."""
    return memory_settings(path, page_budget(path).limit)


def memory_settings(path: Path, memory_limit: str) -> tuple[str, str]:
    """Statements capping a DuckDB instance at ``memory_limit``, spilling beyond it to ``<file>.tmp`` beside
    ``path`` (DuckDB creates it only when it spills and removes it when the instance closes). Every connection here
    is an in-memory DuckDB with the file attached, whose own default would be ``.tmp`` in the working directory."""
    spill = path.with_name(path.name + ".tmp")
    return limit_setting(memory_limit), f"SET temp_directory = {_literal(spill)}"


def check_writable_database(path: Path) -> None:
    """Raise unless ``path`` is an existing DuckDB file or a new file we may create (parents are created)."""
    if path.is_dir():
        raise WarehouseError(f"warehouse path {path} is a directory: point ZD_DUCKDB_PATH at a file inside it")
    if path.exists():
        _check_header(path)
        if not os.access(path, os.R_OK | os.W_OK):
            raise WarehouseError(f"warehouse file {path} is not readable and writable by this user: fix its mode")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise WarehouseError(
                f"warehouse folder {path.parent} is not writable by this user: DuckDB writes its write-ahead log "
                f"({path.name}.wal) beside the file, so no page could commit; fix the folder's mode or move the file"
            )
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseError(f"cannot create the folder for warehouse {path}: {error.strerror}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise WarehouseError(f"cannot create warehouse {path}: its folder is not writable; choose another path")


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except OSError as error:
        raise WarehouseError(f"cannot read warehouse file {path}: {error.strerror}") from None
    if header[8:12] != _DUCKDB_MAGIC:
        what = "an empty file" if not header else "some other kind of file"
        raise NotADuckDBFileError(
            f"{path} exists but is not a DuckDB database ({what}); it was left untouched. Move it away or set "
            "ZD_DUCKDB_PATH to another file."
        )


@contextmanager
def writer_lock(path: Path, deadline: float, timeout: float) -> Iterator[None]:
    lock_file = lock_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = lock_file.open("a")
    except OSError as error:
        raise WarehouseError(
            f"cannot create the writer lock {lock_file}: {error.strerror}; the warehouse's folder must be writable "
            "by this user (or point ZD_DUCKDB_PATH at a file in a folder that is)"
        ) from None
    try:
        backoff = _FIRST_BACKOFF
        with ExitStack() as waiting:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if backoff == _FIRST_BACKOFF:
                        _announce_waiting(waiting, path)
                    if time.monotonic() >= deadline:
                        raise WarehouseLockedError(
                            f"another sync has been writing to {path} for over {timeout:g}s (it holds {lock_file}); "
                            "wait for it to finish or stop it. Nothing committed was lost."
                        ) from None
                    backoff = _pause(backoff, deadline)
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def connect_with_retry(
    path: Path,
    *,
    read_only: bool,
    deadline: float,
    timeout: float,
    attach: Callable[[], duckdb.DuckDBPyConnection] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file (``attach()``, or read-only/read-write by itself), retrying DuckDB's lock errors until
    ``deadline`` while announcing that it waits (see :func:`_announce_waiting`)."""
    backoff = _FIRST_BACKOFF
    with ExitStack() as waiting:
        while True:
            try:
                return attach() if attach is not None else _attach(path, read_only=read_only)
            except duckdb.Error as error:
                message = str(error)
                if "not a valid DuckDB database" in message:
                    raise NotADuckDBFileError(f"{path} is not a DuckDB database; it was left untouched") from None
                if not any(text in message.lower() for text in _LOCK_MESSAGES):
                    raise WarehouseError(f"cannot open warehouse {path}: {message}") from None
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(_locked_message(path, read_only, timeout, message)) from None
                if backoff == _FIRST_BACKOFF:
                    _announce_waiting(waiting, path)
                backoff = _pause(backoff, deadline)


def _attach(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open ``path`` attached as catalog :data:`CATALOG` and make it the default.

    ``duckdb.connect(path)`` would name the catalog after the file's stem, and the default file
    ``zendesk.duckdb`` holding the default schema ``zendesk`` makes every two-part name (``zendesk.tickets``)
    ambiguous ("Ambiguous reference to catalog or schema"). Attaching under a fixed alias keeps
    ``<schema>.<table>`` unambiguous for every query the project runs.
    """
    return attach_to(duckdb.connect(":memory:"), path, read_only=read_only)


def attach_to(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``con`` with ``path`` attached as :data:`CATALOG` and in use; ``con`` is closed if that fails."""
    try:
        con.execute(f"ATTACH {_literal(path)} AS {CATALOG}{' (READ_ONLY)' if read_only else ''}")
        con.execute(f"USE {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def reattach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Detach the file and attach it again as :data:`CATALOG`, in use by ``con``, which stays open (a session's
    connection, still under the writer lock). The way back from ``memory.is_invalidated``. Done through a fresh
    cursor: the invalidated catalog is ``con``'s default, which ``con`` can neither leave (``USE`` fails on it)
    nor detach; a new cursor starts in DuckDB's own ``memory`` catalog."""
    fresh = con.cursor()
    try:
        fresh.execute(f"DETACH {CATALOG}")
        fresh.execute(f"ATTACH {_literal(path)} AS {CATALOG}")
    finally:
        fresh.close()
    con.execute(f"USE {CATALOG}")


def detach(con: duckdb.DuckDBPyConnection) -> None:
    """Detach the file: DuckDB checkpoints it and lets it go."""
    try:
        con.execute("USE memory")
        con.execute(f"DETACH {CATALOG}")
    finally:
        con.close()


def _literal(value: Path | str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _locked_message(path: Path, read_only: bool, timeout: float, detail: str) -> str:
    if read_only:
        return (
            f"{path} is busy: a sync is writing to it and DuckDB lets no other connection open the file meanwhile. "
            f"Waited {timeout:g}s; retry in a moment or stop the sync. (DuckDB: {detail})"
        )
    return (
        f"could not open {path} for writing within {timeout:g}s: another connection keeps it open. Close other "
        "DuckDB sessions on this file (duckdb CLI, notebooks, BI tools), then rerun; nothing committed was lost. "
        f"(DuckDB: {detail})"
    )


def _pause(backoff: float, deadline: float) -> float:
    time.sleep(max(0.0, min(backoff, deadline - time.monotonic())))
    return min(backoff * 2, _MAX_BACKOFF)
