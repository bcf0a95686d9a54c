"""One small class per pagination kind: the first request's parameters, and what each response means.

``ordered`` says whether the export is sorted by the stream's ordering timestamp (Zendesk: "events are listed
in chronological order"; tickets by ``generated_timestamp``), so that the first record at or after an
``end_time`` bound proves every later record is too.

A paginator turns a response into a ``Step``: the next request's parameters (``None`` when the export is done),
the resume point after this page, and whether this is the stream's end. It never sends anything itself, and it
builds the next request from the response's fields and the catalogue's path rather than following the
``next_page`` URL verbatim (the reference's own samples point ``next_page`` at the wrong export); the link is
still checked first: it may name another host (Zendesk's canonical one, behind a proxy), never another path, so
a link outside the export fails before anything is sent anywhere. Cursors are sent exactly as received: a
cursor read from a link is percent-decoded once (a literal ``+`` stays a ``+``: cursors hold no spaces), and
httpx percent-encodes it once again.

Zendesk refuses a ``start_time`` within the last minute (it does not serve that minute yet), so every
``start_time`` sent is at most ``now − 60`` s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from zd_pipeline.catalogue import Pagination, Stream
from zd_pipeline.checkpoint import ResumePoint

LAG_SECONDS = 60
Params = dict[str, str | int]
LinkCheck = Callable[[str], str]  # the link on the configured base; raises ForeignHostError / InvalidResponseError


class PageShapeError(ValueError):
    """The response is not an export page of the expected shape; the client re-raises it with stream and URL."""


@dataclass(frozen=True)
class Step:
    next_params: Params | None
    resume: ResumePoint
    end_of_stream: bool


def latest_start(now: float) -> int:
    """The latest ``start_time`` Zendesk accepts at ``now``: one minute ago."""
    return int(now) - LAG_SECONDS


def _base_params(stream: Stream) -> Params:
    return {"include": ",".join(stream.sideloads)} if stream.sideloads else {}


def _first_params(stream: Stream, start: ResumePoint, now: float, accepts_cursor: bool, kind: str) -> Params:
    params = _base_params(stream)
    if start.cursor is not None:
        if not accepts_cursor:
            raise ValueError(f"a {kind} export of {stream.name!r} resumes from a start_time, not a cursor")
        params["cursor"] = start.cursor
    else:
        assert start.start_time is not None
        params["start_time"] = min(start.start_time, latest_start(now))
    return params


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise PageShapeError(f"field {name!r} is missing or not a boolean (got {value!r})")
    return value


def _end_of_stream(body: dict[str, Any], served: int, page_size: int | None) -> bool:
    """``end_of_stream`` when the page carries it, else whether it is short: fewer records than ``page_size``."""
    if body.get("end_of_stream") is not None:
        return _flag(body, "end_of_stream")
    count = _optional_int(body, "count")
    count = served if count is None else count
    return count == 0 or (page_size is not None and count < page_size)


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PageShapeError(f"field {name!r} is not an integer (got {value!r})")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise PageShapeError(f"field {name!r} is not a string (got {value!r})")
    return value or None


class TimePaginator:
    """Time-based export: ``start_time`` → the next page starts at the response's ``end_time``.

    Sample response (``GET /api/v2/incremental/organizations.json?start_time=1601357000&per_page=2``)::

        {"organizations": [{"id": 7, "updated_at": "2020-09-29T05:30:00Z", ...},
                           {"id": 9, "updated_at": "2020-09-29T05:31:43Z", ...}],
         "count": 2, "end_time": 1601357503, "end_of_stream": false,
         "next_page": "https://acme.zendesk.com/api/v2/incremental/organizations.json?start_time=1601357503"}

    - The next ``start_time`` is ``end_time``, so records of that second repeat (``BoundaryDeduper`` drops them).
    - Pages may exceed ``per_page``: the server completes the group of records sharing the last second.
    - The export ends on ``end_of_stream``. Zendesk's schema of the ticket metric events export has no such field:
      a page without it ends the export when it holds fewer records than the ``per_page`` sent (``count``, else
      the records served; none at all included), the end its reference describes. A page carrying
      ``end_of_stream`` is believed, whatever its size.
    - A page whose ``end_time`` equals its own ``start_time`` is one whole same-second group (larger than
      ``per_page``). Asking again from ``end_time`` returns the same page forever, so the next page starts at
      ``end_time + 1``. Nothing is skipped: a page always runs on until the group sharing its last second is
      complete, and here that group began at the page's first record, so every record of that second was in
      this page.
    - Resume point: the next ``start_time`` (records of that second may be re-read on resume; the warehouse's
      upserts are idempotent). If that ``start_time`` would be within the last minute (after a step past a
      group at the lag's edge) the iteration ends there, resumable from it, instead of asking too early.
    """

    kind: ClassVar[Pagination] = Pagination.TIME
    sends_per_page: ClassVar[bool] = True
    ordered: ClassVar[bool] = True

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def first_params(self, start: ResumePoint, now: float) -> Params:
        return _first_params(self.stream, start, now, accepts_cursor=False, kind="time-based")

    def advance(
        self, body: dict[str, Any], sent: Params, now: float, check_link: LinkCheck, served: int, page_size: int | None
    ) -> Step:
        sent_start = int(sent["start_time"])
        end_of_stream = _end_of_stream(body, served, page_size)
        end_time = _optional_int(body, "end_time")
        next_page = _optional_str(body, "next_page")
        if next_page is not None:
            check_link(next_page)
        if end_time is None:
            if end_of_stream:
                return Step(None, ResumePoint(start_time=sent_start), True)
            raise PageShapeError("field 'end_time' is missing on a page that is not the end of the stream")
        if end_time < sent_start:
            raise PageShapeError(f"end_time {end_time} is before the page's start_time {sent_start}")
        if end_of_stream:
            return Step(None, ResumePoint(start_time=end_time), True)
        next_start = end_time + 1 if end_time == sent_start else end_time
        if next_start > latest_start(now):
            return Step(None, ResumePoint(start_time=next_start), True)
        return Step({**_base_params(self.stream), "start_time": next_start}, ResumePoint(start_time=next_start), False)


class CursorPaginator:
    """Cursor-based export (tickets, users): ``start_time`` once, then ``cursor=after_cursor``.

    Sample response (``GET /api/v2/incremental/tickets/cursor.json?start_time=1532034771&per_page=1``)::

        {"tickets": [{"id": 35436, "generated_timestamp": 1532034800, ...}],
         "after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8",
         "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0Njd8",
         "before_cursor": null, "before_url": null, "end_of_stream": false}

    - Pages never overlap; the export ends on ``end_of_stream``.
    - Resume point: ``after_cursor`` (also on the last page: the next sync continues from it).
    """

    kind: ClassVar[Pagination] = Pagination.CURSOR
    sends_per_page: ClassVar[bool] = True
    ordered: ClassVar[bool] = True

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def first_params(self, start: ResumePoint, now: float) -> Params:
        return _first_params(self.stream, start, now, accepts_cursor=True, kind="cursor-based")

    def advance(
        self, body: dict[str, Any], sent: Params, now: float, check_link: LinkCheck, served: int, page_size: int | None
    ) -> Step:
        end_of_stream = _flag(body, "end_of_stream")
        after_cursor = _optional_str(body, "after_cursor")
        after_url = _optional_str(body, "after_url")
        if after_url is not None:
            check_link(after_url)
        if end_of_stream:
            return Step(None, _resume_from(after_cursor, sent), True)
        if after_cursor is None:
            raise PageShapeError("field 'after_cursor' is missing on a page that is not the end of the stream")
        if after_cursor == sent.get("cursor"):
            raise PageShapeError("after_cursor equals the cursor just sent: the export would never advance")
        return Step({**_base_params(self.stream), "cursor": after_cursor}, ResumePoint(cursor=after_cursor), False)


class RoutingPaginator:
    """Skill-based routing export: ``start_time`` once, then the ``cursor`` carried by ``next_page``.

    Sample response (``GET /api/v2/incremental/routing/attributes.json?start_time=1601357000``)::

        {"attributes": [{"id": "15821cba-7326-11e8-b07e-950ba849aa27", "type": "create",
                         "time": "2020-09-29T05:30:00Z", "attribute_id": "...", "name": "Language"}],
         "count": 1, "end_time": 1601357400,
         "next_page": "https://acme.zendesk.com/api/v2/incremental/routing/attributes.json?cursor=7d724c71-3911"}

    - Up to 3000 items a page; ``per_page`` is ignored, so it is not sent (and not halved after timeouts).
    - Not strictly ordered by ``time`` (Zendesk groups instance values by attribute value), so an ``end_time``
      bound filters records but cannot end the export early (``ordered`` is false).
    - There is no ``end_of_stream``: the export ends at a page with ``count`` 0.
    - Resume point: the cursor of ``next_page`` (on the last page too, when it carries one).
    """

    kind: ClassVar[Pagination] = Pagination.ROUTING
    sends_per_page: ClassVar[bool] = False
    ordered: ClassVar[bool] = False

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def first_params(self, start: ResumePoint, now: float) -> Params:
        return _first_params(self.stream, start, now, accepts_cursor=True, kind="routing")

    def advance(
        self, body: dict[str, Any], sent: Params, now: float, check_link: LinkCheck, served: int, page_size: int | None
    ) -> Step:
        count = _optional_int(body, "count")
        if count is None:
            raise PageShapeError("field 'count' is missing")
        next_page = _optional_str(body, "next_page")
        cursor = None
        if next_page is not None:
            cursor = _query_value(urlsplit(check_link(next_page)).query, "cursor")
        if count == 0:
            return Step(None, _resume_from(cursor, sent), True)
        if cursor is None:
            raise PageShapeError("'next_page' is missing or carries no cursor on a page with items")
        if cursor == sent.get("cursor"):
            raise PageShapeError("next_page's cursor equals the cursor just sent: the export would never advance")
        return Step({**_base_params(self.stream), "cursor": cursor}, ResumePoint(cursor=cursor), False)


def _query_value(query: str, name: str) -> str | None:
    """The last ``name`` parameter of ``query``, percent-decoded once; ``+`` is kept (``parse_qs`` would make it a
    space and mangle a base64 cursor)."""
    value = None
    for pair in query.split("&"):
        key, _, raw = pair.partition("=")
        if unquote(key) == name:
            value = unquote(raw)
    return value or None


def _resume_from(cursor: str | None, sent: Params) -> ResumePoint:
    """The export's handed-out cursor, else whatever the last request started from."""
    if cursor is not None:
        return ResumePoint(cursor=cursor)
    if "cursor" in sent:
        return ResumePoint(cursor=str(sent["cursor"]))
    return ResumePoint(start_time=int(sent["start_time"]))


Paginator = TimePaginator | CursorPaginator | RoutingPaginator
PAGINATORS: dict[Pagination, type[Paginator]] = {
    Pagination.TIME: TimePaginator,
    Pagination.CURSOR: CursorPaginator,
    Pagination.ROUTING: RoutingPaginator,
}


def paginator_for(stream: Stream, kind: Pagination) -> Paginator:
    """The paginator of ``kind`` for ``stream``."""
    return PAGINATORS[kind](stream)
