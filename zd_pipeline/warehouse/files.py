"""The files of one account's warehouse, and the two things done to them besides SQL: taking the writer lock and
publishing.

Beside the file users query (``published``, ``ZD_DUCKDB_PATH``, e.g. ``data/zendesk.duckdb``) live, hidden:

- ``.zendesk.working.duckdb`` (and DuckDB's own ``.wal`` and ``.tmp`` beside it): the file the pipeline writes.
  Only the process holding the lock opens it; no user needs to.
- ``.zendesk.lock``: the writer lock, an exclusive ``flock`` held for a write connection's life (the kernel drops
  it when the process dies, even by SIGKILL).
- ``.zendesk.publishing.duckdb``: the next published copy while it is being written; it exists only during a
  publish (or after a kill during one, until the next writer removes it).

DuckDB lets one process at a time open a file read-write, and nobody else open it meanwhile, not even read-only.
So readers never open the working file: :func:`publish` copies it (checkpointed) to the temporary name, fsyncs it
and renames it over the published file with ``os.replace``, which is atomic. A session open on the published file
keeps reading the inode it opened (Linux keeps a renamed-over file alive while it is open); a new session opens
the new copy. A kill at any instant leaves the published file either the old copy or the new one, both whole.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .errors import NotADuckDBFileError, WarehouseError, WarehouseLockedError

_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_FIRST_BACKOFF, _MAX_BACKOFF = 0.01, 0.25


@dataclass(frozen=True)
class WarehouseFiles:
    """Where an account's files are, all derived from the published path (see the module docstring)."""

    published: Path

    @classmethod
    def at(cls, path: str | Path) -> WarehouseFiles:
        return cls(Path(path).expanduser().absolute())

    def _hidden(self, role: str, suffix: str | None = None) -> Path:
        name = self.published.name
        stem = name[: -len(self.published.suffix)] if self.published.suffix else name
        return self.published.with_name(f".{stem}.{role}{self.published.suffix if suffix is None else suffix}")

    @property
    def working(self) -> Path:
        return self._hidden("working", self.published.suffix or ".duckdb")

    @property
    def publishing(self) -> Path:
        return self._hidden("publishing", self.published.suffix or ".duckdb")

    @property
    def seeding(self) -> Path:
        """Where the working file is copied to first when it is made from the published one."""
        return self._hidden("seeding", self.published.suffix or ".duckdb")

    @property
    def lock(self) -> Path:
        return self._hidden("lock", "")


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@contextmanager
def writer_lock(files: WarehouseFiles, timeout: float) -> Iterator[None]:
    """Hold the account's exclusive writer lock, waiting up to ``timeout`` seconds for another writer."""
    check_location(files.published)
    try:
        handle = files.lock.open("a")
    except OSError as error:
        raise WarehouseError(
            f"cannot create the writer lock {files.lock}: {error.strerror}; the warehouse's folder must be writable "
            "by this user (or point ZD_DUCKDB_PATH at a file in a folder that is)"
        ) from None
    try:
        deadline, backoff = time.monotonic() + timeout, _FIRST_BACKOFF
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"another zd-pipeline run has been writing {files.published} for over {timeout:g}s (it holds "
                        f"{files.lock}); runs of one account take turns: wait for it to finish or stop it. Nothing "
                        "committed was lost."
                    ) from None
                time.sleep(max(0.0, min(backoff, deadline - time.monotonic())))
                backoff = min(backoff * 2, _MAX_BACKOFF)
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def check_location(path: Path) -> None:
    """Raise unless ``path`` can be a warehouse file: not a directory, its folder creatable and writable."""
    if path.is_dir():
        raise WarehouseError(f"warehouse path {path} is a directory: point ZD_DUCKDB_PATH at a file inside it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseError(f"cannot create the folder for warehouse {path}: {error.strerror}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise WarehouseError(
            f"warehouse folder {path.parent} is not writable by this user: the pipeline writes its working copy "
            "and publishes the file users query there; fix the folder's mode or point ZD_DUCKDB_PATH elsewhere"
        )


def check_duckdb_file(path: Path) -> None:
    """Raise :class:`NotADuckDBFileError` when ``path`` exists and is not a DuckDB database (it is left untouched)."""
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except FileNotFoundError:
        return
    except OSError as error:
        raise WarehouseError(f"cannot read warehouse file {path}: {error.strerror}") from None
    if header[8:12] != _DUCKDB_MAGIC:
        what = "an empty file" if not header else "some other kind of file"
        raise NotADuckDBFileError(
            f"{path} exists but is not a DuckDB database ({what}); it was left untouched. Move it away or set "
            "ZD_DUCKDB_PATH to another file."
        )


def remove_leftovers(files: WarehouseFiles) -> None:
    """Remove what a writer killed mid-publish or mid-seed left behind (only under the writer lock)."""
    for path in (files.publishing, files.seeding):
        for leftover in (path, wal(path)):
            leftover.unlink(missing_ok=True)


def published_is_stale(files: WarehouseFiles) -> bool:
    """True when the published file is missing or older than the working file or its log (a writer was killed
    between a commit and its publish)."""
    try:
        published = files.published.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    written = [path.stat().st_mtime_ns for path in (files.working, wal(files.working)) if path.exists()]
    return any(mtime > published for mtime in written)


def seed_working(files: WarehouseFiles) -> None:
    """Make the working file a copy of the published one (with its ``.wal``, if a file of the old single-file
    layout has one), atomically: a kill leaves either no working file or a whole one."""
    shutil.copyfile(files.published, files.seeding)
    if wal(files.published).exists():
        shutil.copyfile(wal(files.published), wal(files.seeding))
        os.replace(wal(files.seeding), wal(files.working))
    _fsync(files.seeding)
    os.replace(files.seeding, files.working)
    _fsync_folder(files.published.parent)


def replace_published(files: WarehouseFiles) -> None:
    """Make the finished ``publishing`` copy the published file: fsync it, drop a stale ``.wal`` beside the
    published name (left by the old single-file layout: a reader would replay it into the new copy), rename it over,
    fsync the folder so the rename survives a power loss."""
    _fsync(files.publishing)
    with suppress(FileNotFoundError):
        wal(files.published).unlink()
    os.replace(files.publishing, files.published)
    _fsync_folder(files.published.parent)


def copy_to_publishing(files: WarehouseFiles) -> None:
    """Byte copy of the (checkpointed) working file to the temporary name."""
    shutil.copyfile(files.working, files.publishing)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with suppress(OSError):  # some filesystems refuse to fsync a directory; the rename itself is still atomic
        _fsync(folder)
