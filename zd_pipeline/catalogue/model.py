"""What a catalogue entry says about a stream (frozen dataclasses), and Zendesk's timestamp forms.

The entries themselves are in :mod:`.streams`; see the package docstring for how the layers use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Pagination(StrEnum):
    """How an export pages.

    ``TIME``: ``start_time`` → ``{items, count, end_time, next_page, end_of_stream}``; the next page starts at
    ``end_time`` so items sharing that second repeat across the boundary.
    ``CURSOR``: ``start_time`` once, then ``cursor`` → ``{items, after_cursor, after_url, before_cursor,
    before_url, end_of_stream}``.
    ``ROUTING``: skill-based routing exports: ``start_time`` once, then ``next_page`` carrying ``cursor``; up to
    3000 items a page, ``per_page`` ignored, no ``end_of_stream``: the export ends at a page with ``count`` 0.
    """

    TIME = "time"
    CURSOR = "cursor"
    ROUTING = "routing"


class TimestampFormat(StrEnum):
    """How the ordering timestamp is encoded in a record: Unix epoch seconds or ISO-8601 (``...Z``)."""

    EPOCH = "epoch"
    ISO = "iso"


class WriteMode(StrEnum):
    """How the warehouse applies a stream's records.

    ``UPSERT``: one row per id, replaced only by a record whose ordering timestamp is not older (newest wins).
    ``APPEND``: immutable events; insert-or-ignore by id.
    """

    UPSERT = "upsert"
    APPEND = "append"


@dataclass(frozen=True)
class Column:
    """A typed column the warehouse extracts from each record (the whole record is also kept as raw JSON).

    ``type`` is a DuckDB type. ``JSON`` columns hold nested objects as they came; ``TIMESTAMPTZ`` columns are
    parsed from ISO strings (or epoch seconds when the field is an integer).
    """

    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class Tombstone:
    """How a deleted record looks: ``record[field]`` equal to ``value`` or one of ``others`` (and of its type:
    ``0`` is not ``False``) marks it deleted. Nothing is ever hard-deleted."""

    field: str
    value: object
    others: tuple[object, ...] = ()

    def marks(self, value: object) -> bool:
        """Whether a record whose tombstone field holds ``value`` is deleted."""
        return any(type(value) is type(v) and value == v for v in (self.value, *self.others))


@dataclass(frozen=True)
class Stream:
    """One Zendesk incremental export, described once for every layer.

    ``history_key``: the export is a change log (each item is one change of the object its primary key names;
    older changes of an id are served too). The table keeps each id's newest state by the ordering field and
    ``<table>_history`` every change, one row per distinct ``history_key`` value (see :attr:`history_table`).
    ``plan_feature``: the export exists only on Zendesk plans with this feature; a 403 on it means the account's
    plan does not offer it (the client raises ``FeatureNotOfferedError``), which is not a failed sync.
    """

    name: str
    description: str
    response_key: str
    time_path: str
    ordering_field: str
    ordering_format: TimestampFormat
    write_mode: WriteMode
    columns: tuple[Column, ...]
    pagination: Pagination = Pagination.TIME
    cursor_path: str | None = None
    primary_key: str = "id"
    id_type: str = "BIGINT"
    sideloads: tuple[str, ...] = ()
    tombstone: Tombstone | None = None
    max_page_size: int = 1000
    history_key: tuple[str, ...] = ()
    plan_feature: str | None = None

    @property
    def history_table(self) -> str | None:
        """Name of the change-history table (``<table>_history``), or ``None`` when the stream keeps none."""
        return f"{self.table}_history" if self.history_key else None

    @property
    def table(self) -> str:
        """Table name in the account's schema: the stream's name."""
        return self.name

    @property
    def typed_columns(self) -> tuple[Column, ...]:
        """The record fields with a column of their own: the catalogue's columns, the primary key typed
        ``id_type`` whatever its entry says (ids keep the API's type) and first if no entry names it."""
        typed = tuple(
            Column(c.name, self.id_type, c.description) if c.name == self.primary_key else c for c in self.columns
        )
        if self.primary_key not in {c.name for c in typed}:
            typed = (Column(self.primary_key, self.id_type), *typed)
        return typed

    def path_for(self, pagination: Pagination) -> str:
        """The export path for a pagination kind; raises ``ValueError`` if the stream has no such export."""
        if pagination is Pagination.CURSOR:
            if self.cursor_path is None:
                raise ValueError(f"stream {self.name!r} has no cursor-based export")
            return self.cursor_path
        if pagination is Pagination.ROUTING and self.pagination is not Pagination.ROUTING:
            raise ValueError(f"stream {self.name!r} is not a routing export")
        return self.time_path

    def ordering_epoch(self, record: dict[str, Any]) -> int:
        """The record's ordering timestamp as Unix epoch seconds.

        Raises ``KeyError`` when the field is missing and ``ValueError`` when it cannot be parsed, so a corrupt
        record is reported rather than silently mis-ordered.
        """
        return to_epoch(record[self.ordering_field])

    @property
    def paginations(self) -> tuple[Pagination, ...]:
        """Every pagination kind this stream's exports support."""
        if self.pagination is Pagination.ROUTING:
            return (Pagination.ROUTING,)
        return (Pagination.TIME, Pagination.CURSOR) if self.cursor_path else (Pagination.TIME,)


def to_epoch(value: object) -> int:
    """Epoch seconds from an epoch number or an ISO-8601 string (``2011-05-05T10:38:52Z``)."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise ValueError(f"not a timestamp: {value!r}")


def to_iso(epoch: int) -> str:
    """Zendesk's ISO-8601 form of epoch seconds: ``2011-05-05T10:38:52Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
