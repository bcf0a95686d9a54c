"""Errors the warehouse raises. Each message names the file, stream or record involved and what to do about it."""

from __future__ import annotations


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
