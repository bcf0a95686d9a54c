"""Zendesk's three export paging schemes over a :class:`StreamStore`, driven by the catalogue's ``Pagination``.

Facts from Zendesk's public API reference (docs/zendesk-api.md):

* Nothing newer than one minute is served: ``horizon = floor(now) - 60``; a ``start_time`` after the horizon
  (less than a minute ago, or in the future) is a 400 with
  ``{"error": "InvalidValue", "description": "Too recent start_time. ..."}``.
* Time-based: up to ``per_page`` (default and maximum 1000) items from ``start_time``, then on through every item
  sharing the last timestamp; ``end_time`` is that timestamp and ``next_page`` starts there, so boundary items
  repeat. A page that is one same-second group has ``end_time == start_time``. An empty page keeps
  ``end_time = start_time`` (assumption). ``end_of_stream`` is true when nothing servable is left after the page.
* Cursor-based (tickets, users): ``start_time`` once, then ``cursor`` (base64 of ``"{ts}.0||{id}|"``, the shape of
  Zendesk's cursors; URL-safe by default, or with ``+``, ``/`` and ``=`` in the ``standard`` style, which real
  cursors may hold; a mark after the last ``|`` tells apart two cursors of one position); exactly ``per_page``
  items, no group run-over; ``after_cursor`` always set so an export can resume later; ``before_cursor`` set on
  pages reached by cursor.
* Routing: ``start_time`` once, then ``next_page`` with ``cursor``; up to 3000 items, ``per_page`` ignored, no
  ``end_of_stream``: the export ends at a page with ``count`` 0 (whose ``next_page`` resumes later).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from zd_pipeline.catalogue import Pagination, Stream
from zd_pipeline.simulator.store import StreamStore

LAG_SECONDS = 60
MAX_PER_PAGE = 1000


class ApiError(Exception):
    """An error answered as JSON with a status code (Zendesk-style ``{"error", "description"}`` body)."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body: dict[str, Any] = {"error": error}
        if description is not None:
            self.body["description"] = description


def invalid(description: str) -> ApiError:
    return ApiError(400, "InvalidValue", description)


@dataclass(frozen=True)
class PageRequest:
    """The validated query of one export request."""

    start_time: int | None
    cursor: tuple[int, Any] | None
    per_page: int
    includes: tuple[str, ...]
    exclude_deleted: bool
    cursor_mark: str = ""


# Bytes whose base64 is "+/+/": a standard-style cursor always holds both characters a careless client mangles.
_STANDARD_PREFIX = b"\xfb\xff\xbf"


def encode_cursor(ts: int, record_id: Any, *, style: str = "urlsafe", mark: str = "") -> str:
    """A cursor for the position after ``(ts, record_id)``; ``standard`` style holds ``+``, ``/`` and ``=``."""
    payload = f"{ts}.0||{record_id}|{mark}".encode()
    if style != "standard":
        return base64.urlsafe_b64encode(payload).decode()
    raw = _STANDARD_PREFIX + payload
    raw += b"~" * (1 if len(raw) % 3 == 0 else 0)  # never a multiple of 3 bytes: the text ends in padding
    return base64.b64encode(raw).decode()


def decode_cursor(stream: Stream, cursor: str) -> tuple[int, Any]:
    return _decode(stream, cursor)[:2]


def cursor_mark(stream: Stream, cursor: str) -> str:
    return _decode(stream, cursor)[2]


def _decode(stream: Stream, cursor: str) -> tuple[int, Any, str]:
    try:
        raw = base64.b64decode(cursor.translate(_URLSAFE).encode(), validate=True)
        raw = raw.removeprefix(_STANDARD_PREFIX)
        ts_part, _, id_part, mark = raw.decode().split("|")
        record_id: Any = int(id_part) if stream.id_type == "BIGINT" else id_part
        return int(float(ts_part)), record_id, mark.rstrip("~")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "InvalidPaginationParameter", f"cursor {cursor[:64]!r} is not a valid cursor") from None


_URLSAFE = str.maketrans("-_", "+/")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def parse_request(stream: Stream, pagination: Pagination, query: dict[str, list[str]], now: float) -> PageRequest:
    """Validate ``query`` as Zendesk does; raises :class:`ApiError` (400) naming the bad parameter."""
    per_page = MAX_PER_PAGE
    raw_per_page = _one(query, "per_page")
    if raw_per_page is not None and pagination is not Pagination.ROUTING:
        if not raw_per_page.isdigit() or int(raw_per_page) < 1:
            raise invalid(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}, got {raw_per_page!r}")
        per_page = int(raw_per_page)
        if per_page > MAX_PER_PAGE:
            raise invalid(f"per_page must be less than or equal to {MAX_PER_PAGE}, got {per_page}")
    raw_cursor = _one(query, "cursor")
    cursor, mark = None, ""
    if raw_cursor and pagination in (Pagination.CURSOR, Pagination.ROUTING):
        *position, mark = _decode(stream, raw_cursor)
        cursor = (position[0], position[1])
    start_time = None
    if cursor is None:
        raw_start = _one(query, "start_time")
        if raw_start is None or raw_start == "":
            raise invalid("start_time is required: a Unix epoch time at least one minute in the past")
        try:
            start_time = int(raw_start)
        except ValueError:
            raise invalid(f"start_time must be a Unix epoch time in seconds, got {raw_start[:64]!r}") from None
        if start_time > horizon(now):
            raise invalid("Too recent start_time. Use a start_time older than 1 minute")
    includes = tuple(x for part in query.get("include", []) for x in part.split(",") if x)
    exclude_deleted = (_one(query, "exclude_deleted") or "").lower() == "true"
    return PageRequest(start_time, cursor, per_page, includes, exclude_deleted, mark)


def horizon(now: float) -> int:
    """The newest ordering timestamp served: anything from the most recent minute is held back."""
    return int(now) - LAG_SECONDS


@dataclass
class Page:
    """The items of one page and the facts the envelope needs."""

    positions: list[int]
    end_of_stream: bool
    next_pos: int


def _take(store: StreamStore, pos: int, count: int, limit: int, exclude: bool) -> tuple[list[int], int]:
    """Up to ``count`` servable positions from ``pos``; returns them and the position after the last one."""
    out: list[int] = []
    next_pos = pos
    if count <= 0:
        return out, next_pos
    for p in store.scan(pos, limit):
        next_pos = p + 1
        if exclude and store.is_tombstone(p):
            continue
        out.append(p)
        if len(out) >= count:
            break
    return out, next_pos


def _more(store: StreamStore, pos: int, limit: int, exclude: bool) -> bool:
    return bool(_take(store, pos, 1, limit, exclude)[0])


def time_page(store: StreamStore, req: PageRequest, limit: int) -> Page:
    """Time-based: per_page items, then the rest of the last timestamp's group."""
    assert req.start_time is not None
    exclude = req.exclude_deleted and store.stream.tombstone is not None
    positions, next_pos = _take(store, store.first_at_or_after(req.start_time), req.per_page, limit, exclude)
    if len(positions) == req.per_page:
        last_ts = store.ts_at(positions[-1])
        group_end = store.first_at_or_after(last_ts + 1)
        extra, _ = _take(store, next_pos, group_end - next_pos, limit, exclude)
        positions += extra
        next_pos = max(next_pos, group_end)
    return Page(positions, not _more(store, next_pos, limit, exclude), next_pos)


def cursor_page(store: StreamStore, req: PageRequest, limit: int, size: int) -> Page:
    """Cursor-based and routing: exactly ``size`` items after the cursor (or from ``start_time``)."""
    exclude = req.exclude_deleted and store.stream.tombstone is not None
    pos = store.first_after(*req.cursor) if req.cursor else store.first_at_or_after(req.start_time or 0)
    positions, next_pos = _take(store, pos, size, limit, exclude)
    return Page(positions, not _more(store, next_pos, limit, exclude), next_pos)


def next_url(base_url: str, path: str, params: dict[str, Any]) -> str:
    return f"{base_url}{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"
