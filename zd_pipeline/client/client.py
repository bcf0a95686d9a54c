"""``ZendeskClient``: pages through any catalogue stream's incremental export, exactly once per record.

The stream's catalogue entry says everything stream-specific (path, response key, ordering field, sideloads,
pagination kind), so there is no per-stream code here. Knows nothing of Dagster or DuckDB.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
import msgspec
import orjson

from zd_pipeline.catalogue import Pagination, Stream, get_stream
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client.config import ClientConfig
from zd_pipeline.client.dedupe import BoundaryDeduper
from zd_pipeline.client.errors import InvalidResponseError
from zd_pipeline.client.fetch import Fetcher, PageRequest, PageSize
from zd_pipeline.client.page_records import records_of
from zd_pipeline.client.paginators import PageShapeError, Paginator, Step, paginator_for
from zd_pipeline.client.stats import ClientStats
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.records import RawRecords


@dataclass(frozen=True)
class Page:
    """One page of an export iteration.

    - ``records``: new records in export order, without repeats of earlier pages of this iteration: a
      :class:`~zd_pipeline.records.RawRecords` (each record's JSON text with its id and ordering timestamp; a
      sequence of dicts decoded when indexed), or an empty list when no request was needed.
    - ``resume``: where to continue after this page. Commit it with the records: resuming from it re-reads at
      most this page and skips nothing.
    - ``high_water_mark``: the newest ordering timestamp (epoch s) of all records yielded so far, or ``None``.
    - ``end_of_stream``: true on the iteration's last page.
    - ``url``: the request URL (credentials are never in URLs); ``None`` if no request was needed.
    """

    stream: str
    records: Sequence[dict[str, Any]]
    resume: ResumePoint
    high_water_mark: int | None
    end_of_stream: bool
    url: str | None


class ZendeskClient:
    """Thread-safe: several streams may be paged at once from threads, each within its endpoint's budget.

    ``clock`` times the throttle, back-off and the one-minute lag (inject a ``ManualClock`` in tests);
    ``transport`` replaces the network (``httpx.MockTransport`` in unit tests).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(config, ClientConfig):
            raise TypeError(f"config must be a ClientConfig, got {type(config).__name__}")
        self.config = config
        self._clock = clock or SystemClock()
        self.stats = ClientStats()
        self._fetcher = Fetcher(config, self._clock, self.stats, transport=transport, rng=rng)

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._fetcher.close()

    def __repr__(self) -> str:
        return f"ZendeskClient(origin={self.config.origin!r}, auth={self.config.auth!r})"

    def iter_pages(
        self,
        stream: Stream | str,
        start: ResumePoint,
        end_time: int | None = None,
        pagination: Pagination | None = None,
    ) -> Iterator[Page]:
        """Yield the export's pages from ``start`` until the stream's end or ``end_time``.

        ``end_time`` is an exclusive upper bound (epoch s): records whose ordering timestamp is ``>= end_time``
        are not yielded, iteration stops once the export passes it, and the last page's resume point is then
        ``ResumePoint(start_time=end_time)`` (for cursor exports too: their cursor would skip the dropped
        records). If the export ends before reaching the bound (a window ending in the future), the export's own
        resume point is kept. ``pagination`` defaults to the stream's catalogue default. Raises ``ValueError`` for a bad
        argument and a ``ZendeskError`` subclass for everything the API does wrong.
        """
        stream = get_stream(stream) if isinstance(stream, str) else stream
        kind = pagination or stream.pagination
        if kind not in stream.paginations:
            raise ValueError(
                f"stream {stream.name!r} has no {kind.value} export; use one of "
                f"{', '.join(k.value for k in stream.paginations)}"
            )
        if not isinstance(start, ResumePoint):
            raise TypeError(f"start must be a ResumePoint, got {type(start).__name__}")
        if end_time is not None and (isinstance(end_time, bool) or not isinstance(end_time, int)):
            raise ValueError(f"end_time must be epoch seconds (int) or None, got {end_time!r}")
        paginator = paginator_for(stream, kind)
        params = paginator.first_params(start, self._clock.now())  # validated now, not at the first next()
        if end_time is not None and start.start_time is not None and start.start_time >= end_time:
            return iter([Page(stream.name, [], start, None, True, None)])
        return self._pages(stream, kind, paginator, params, end_time)

    def _pages(
        self, stream: Stream, kind: Pagination, paginator: Paginator, params: dict, end_time: int | None
    ) -> Iterator[Page]:
        path = stream.path_for(kind)
        url = self._fetcher.url_for(path)
        page_size = PageSize(min(self.config.per_page, stream.max_page_size)) if paginator.sends_per_page else None
        deduper = BoundaryDeduper()
        bound = _EndBound(end_time, paginator.ordered) if end_time is not None else None
        high_water_mark: int | None = None
        while True:
            body, sent_url = self._fetcher.get(PageRequest(stream.name, path, url, params), page_size)
            try:
                records = records_of(stream, _records_text(stream, body))
                step = paginator.advance(
                    _fields(stream, body),
                    params,
                    self._clock.now(),
                    lambda link, at=sent_url: self._fetcher.follow_link(
                        link, stream=stream.name, path=path, current_url=at
                    ),
                    served=len(records),
                    page_size=page_size.current if page_size is not None else None,
                )
            except PageShapeError as exc:
                raise InvalidResponseError(
                    f"not an export page of the expected shape: {exc}", stream=stream.name, url=sent_url
                ) from None
            if page_size is not None:
                page_size.after_success()
            if bound is not None:
                records, step = bound.apply(records, step)
            served = len(records)
            records = deduper.fresh(records)
            if records.stamps:
                newest = max(records.stamps)
                high_water_mark = newest if high_water_mark is None else max(high_water_mark, newest)
            self.stats.add(stream.name, "pages")
            self.stats.add(stream.name, "records", len(records))
            self.stats.add(stream.name, "repeats_dropped", served - len(records))
            yield Page(stream.name, records, step.resume, high_water_mark, step.next_params is None, sent_url)
            if step.next_params is None:
                return
            params = step.next_params


class _EndBound:
    """An exclusive ``end_time`` bound over one iteration: drops records at or after it, ends the export.

    An ordered export has passed the bound when a record at or after it appears, or when the next page would
    start at or after it (time-based): every record before it has then been seen, so the iteration stops with
    resume point ``end_time`` (a cursor would skip the dropped records). An unordered export (routing) may still
    hold older records on later pages, so it is filtered to its end; if anything was dropped, its last resume
    point is ``end_time`` too. Had nothing been dropped, the export's own resume point is kept: a bound that lies
    in the future (today's window) must not move the resume point past records not yet written.
    """

    def __init__(self, end_time: int, ordered: bool) -> None:
        self.end_time = end_time
        self.ordered = ordered
        self.dropped = False

    def apply(self, records: RawRecords, step: Step) -> tuple[RawRecords, Step]:
        end_time = self.end_time
        if any(stamp >= end_time for stamp in records.stamps):
            self.dropped = True
            records = records.select(i for i, stamp in enumerate(records.stamps) if stamp < end_time)
        next_start = step.resume.start_time
        passed = self.ordered and (self.dropped or (next_start is not None and next_start >= self.end_time))
        if passed or (step.next_params is None and self.dropped):
            step = Step(None, ResumePoint(start_time=self.end_time), True)
        return records, step


def _fields(stream: Stream, body: dict[str, msgspec.Raw]) -> dict[str, Any]:
    """The page's other top-level fields (pagination, counts), parsed: small values the paginators read."""
    return {name: orjson.loads(memoryview(text)) for name, text in body.items() if name != stream.response_key}


def _records_text(stream: Stream, body: dict[str, msgspec.Raw]) -> msgspec.Raw:
    """The JSON text under the stream's response key; ``PageShapeError`` if there is none."""
    records = body.get(stream.response_key)
    if records is None:
        raise PageShapeError(f"response key {stream.response_key!r} is missing (keys: {sorted(body)[:10]})")
    return records
