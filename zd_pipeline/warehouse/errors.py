"""Errors the warehouse raises. Each message names the file, stream or record involved and what to do about it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from zd_pipeline.settings import ENV_DUCKDB_MEMORY_LIMIT


class WarehouseError(Exception):
    """Something about the warehouse file or a page of records is wrong; the message says what and how to fix it."""


class NotADuckDBFileError(WarehouseError):
    """The path holds a file that is not a DuckDB database: it is never opened for writing, never overwritten."""


class WarehouseLockedError(WarehouseError):
    """Another writer held the account's warehouse longer than the configured timeout; nothing committed was lost."""


class WarehouseMemoryError(WarehouseError):
    """DuckDB ran out of its memory limit (``ZD_DUCKDB_MEMORY_LIMIT``); the step was rolled back, nothing committed
    before it was lost."""


class BadRecordError(WarehouseError):
    """A record in a page lacks its id or ordering timestamp (or has one that cannot be read): nothing of the page
    was written. The message names the stream, the record's position in the page and its id when known."""


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, duckdb.OutOfMemoryException) or "out of memory" in str(error).lower()


@contextmanager
def memory_named(what: str, limit: str) -> Iterator[None]:
    """Turn DuckDB running out of memory into :class:`WarehouseMemoryError` naming the setting to raise."""
    try:
        yield
    except duckdb.Error as error:
        if not is_out_of_memory(error):
            raise
        raise WarehouseMemoryError(
            f"DuckDB ran out of memory {what} (limit {limit}, set by {ENV_DUCKDB_MEMORY_LIMIT}); nothing of this "
            f"step was written and everything committed before is kept. Raise {ENV_DUCKDB_MEMORY_LIMIT} (e.g. 2GB) "
            f"and run again. DuckDB said: {str(error).splitlines()[0]}"
        ) from error
