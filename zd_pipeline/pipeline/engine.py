"""The sync engine: pages several streams concurrently and applies every page through one writer.

This module wires the client to the warehouse and knows nothing of Dagster (the assets, the CLI and the
benchmarks all call it). Its contract:

- One fetcher thread per stream pages through the export (each within its own endpoint's rate limit: the
  client throttles per path), converts each page for the warehouse (``Warehouse.prepare``: Arrow, the records'
  dicts freed) and hands it over a small bounded queue, so the next page is fetched and converted while the
  previous one is written and memory stays flat (at most a few pages in flight). ``on_page`` gets each page
  without its records once it is committed, with its stream's totals after that transaction (``StreamResult``).
- The calling thread is the only writer: it applies each page *and* its checkpoint in one warehouse
  transaction, so a process killed at any instant loses nothing and a resume re-reads at most a few pages.
  When the writer falls behind, the pages of a stream already waiting in the queue are applied together in one
  transaction (``Warehouse.apply_pages``) with the checkpoint of the last of them. A batch is never waited for
  (no added latency) and never larger than the queue, so memory stays bounded. The writer keeps the file between
  its writes (``Warehouse.writing``, one connection to the working file under the account's lock) and publishes
  the file users query every ``Warehouse.publish_seconds`` between batches and at the end.
- A failing stream does not stop the others; its error is reported in its result and every page it committed
  stays committed. A failing write (say, the DuckDB file is locked) stops every fetcher and is raised.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from zd_pipeline.catalogue import Stream
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.client import Page, ZendeskClient
from zd_pipeline.warehouse import PageResult, PreparedPage, Warehouse

from .handoff import Handoff

QUEUE_BYTES = 16 * 2**20  # converted pages waiting for the writer, all streams together (see handoff)

# One record per applied page, with ``extra`` fields ``stream``, ``records``, ``written`` and
# ``high_water_mark``: the CLI's progress display listens here (progress is just logging).
progress_log = logging.getLogger("zd_pipeline.progress")


@dataclass(frozen=True)
class StreamJob:
    """What to sync: ``stream`` over the window ``[window_start, window_end)``, starting at ``start``.

    ``end_time`` is the exclusive bound actually asked of the export (``window_end`` clamped to now − 60 s for
    today's window); the window is ``complete`` only when the export reached ``window_end`` itself.
    """

    stream: Stream
    window_start: int
    window_end: int
    end_time: int
    start: ResumePoint
    high_water_mark: int | None = None


@dataclass
class StreamResult:
    """What one stream's sync did; ``error`` is set when it stopped early (committed pages stay)."""

    stream: str
    pages: int = 0
    fetched: int = 0
    written: int = 0
    ignored: int = 0
    high_water_mark: int | None = None
    resume: ResumePoint | None = None
    complete: bool = False
    error: BaseException | None = field(default=None, repr=False)


PageCallback = Callable[[StreamJob, Page, StreamResult], None]
_DONE = object()


def sync_streams(
    client: ZendeskClient,
    warehouse: Warehouse,
    jobs: Iterable[StreamJob],
    *,
    on_page: PageCallback | None = None,
) -> dict[str, StreamResult]:
    """Run every job to its end (or its error) and return a result per stream name, in the jobs' order."""
    jobs = list(jobs)
    ended = {result.stream: result for result in streams_as_they_end(client, warehouse, jobs, on_page=on_page)}
    return {job.stream.name: ended[job.stream.name] for job in jobs}


def streams_as_they_end(
    client: ZendeskClient,
    warehouse: Warehouse,
    jobs: Iterable[StreamJob],
    *,
    on_page: PageCallback | None = None,
) -> Iterator[StreamResult]:
    """Run every job, yielding each stream's result as soon as that stream ends (done or failed).

    The writer is the consuming thread, so while it handles a result (say, the caller records it in Dagster)
    the fetchers go on paging into the queue: under a rate limit, the work done for one ended stream overlaps
    the others' waits instead of following the last page. What the yielded stream committed reaches the file users
    query with the next publish (every ``Warehouse.publish_seconds``, and at the end): not at once, because at a
    large account's size a publish copies gigabytes, and in an incremental sync the streams end seconds apart.
    Closing the generator early stops every fetcher.
    """
    jobs = list(jobs)
    results = {job.stream.name: StreamResult(job.stream.name, high_water_mark=job.high_water_mark) for job in jobs}
    if not jobs:
        return
    handoff = Handoff(QUEUE_BYTES)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_fetch, args=(client, warehouse, job, handoff, stop), name=f"fetch-{job.stream.name}", daemon=True
        )
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    try:
        with warehouse.writing():
            for name in _write_all(warehouse, {job.stream.name: job for job in jobs}, results, handoff, on_page):
                yield results[name]
    finally:
        stop.set()
        _drain(handoff, threads)


@dataclasses.dataclass(frozen=True)
class _Fetched:
    page: Page  # without its records
    prepared: PreparedPage


def _fetch(
    client: ZendeskClient, warehouse: Warehouse, job: StreamJob, handoff: Handoff, stop: threading.Event
) -> None:
    """Fetcher thread: put ``(name, _Fetched)`` items, then ``(name, _DONE)`` or ``(name, exception)``.

    The client yields at least one page, an empty final one when the window holds nothing, so every stream's
    checkpoint records that its window was covered. A page that cannot be converted (a record without id or
    ordering timestamp) ends the stream with that error; nothing of it is written.
    """
    name = job.stream.name
    try:
        for page in client.iter_pages(job.stream, start=job.start, end_time=job.end_time):
            fetched = _Fetched(dataclasses.replace(page, records=[]), warehouse.prepare(job.stream, page.records))
            del page
            if not handoff.put((name, fetched), fetched.prepared.nbytes, stop):
                return
        handoff.put((name, _DONE), 0, stop)
    except BaseException as exc:  # reported to the writer, which decides; never lost in a thread
        handoff.put((name, exc), 0, stop)


def _write_all(
    warehouse: Warehouse,
    jobs: dict[str, StreamJob],
    results: dict[str, StreamResult],
    handoff: Handoff,
    on_page: PageCallback | None,
) -> Iterator[str]:
    """Apply every page as it arrives; yield each stream's name once its end (or its error) is applied."""
    running = set(jobs)
    while running:
        for name, items in _waiting(handoff).items():
            job, result = jobs[name], results[name]
            pages = [item for item in items if isinstance(item, _Fetched)]
            if pages:
                for fetched, page_result in zip(pages, _apply(warehouse, job, result, pages), strict=True):
                    _report(job, result, fetched.page, page_result, on_page)
            end = items[-1]
            if end is _DONE:
                running.discard(name)
            elif isinstance(end, BaseException):
                running.discard(name)
                result.error = end
            if name not in running:  # the stream's last line of progress (``zd-pipeline sync`` in a log)
                extra = {"stream": name, "records": 0, "ended": True, "failed": result.error is not None}
                progress_log.debug("%s: ended", name, extra=extra)
                yield name
        warehouse.publish_if_due()


def _waiting(handoff: Handoff) -> dict[str, list]:
    """Block for one item, then take every item already queued; per stream in arrival order.

    A stream's end marker (``_DONE`` or an exception) is always its last item, so only its pages precede it.
    """
    items = handoff.take_all()
    grouped: dict[str, list] = {}
    for name, item in items:
        grouped.setdefault(name, []).append(item)
    return grouped


def _apply(warehouse: Warehouse, job: StreamJob, result: StreamResult, pages: list[_Fetched]) -> list[PageResult]:
    """Apply consecutive pages of one stream with the checkpoint after the last one, in one transaction."""
    hwm = result.high_water_mark
    for fetched in pages:
        hwm = _max(hwm, fetched.page.high_water_mark)
    last = pages[-1].page
    complete = last.end_of_stream and job.end_time >= job.window_end
    checkpoint = Checkpoint(job.stream.name, job.window_start, job.window_end, last.resume, hwm, complete)
    page_results = warehouse.apply_pages(job.stream, [fetched.prepared for fetched in pages], checkpoint)
    result.pages += len(pages)
    for page_result in page_results:
        result.fetched += page_result.received
        result.written += page_result.written
        result.ignored += page_result.ignored
    result.high_water_mark, result.resume, result.complete = hwm, last.resume, complete
    return page_results


def _report(
    job: StreamJob, result: StreamResult, page: Page, page_result: PageResult, on_page: PageCallback | None
) -> None:
    name = job.stream.name
    progress_log.debug(
        "%s: %d records applied",
        name,
        page_result.received,
        extra={
            "stream": name,
            "records": page_result.received,
            "written": page_result.written,
            "high_water_mark": result.high_water_mark,
        },
    )
    if on_page is not None:
        on_page(job, page, result)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _drain(handoff: Handoff, threads: list[threading.Thread], grace: float = 5.0) -> None:
    """Unblock fetchers waiting for room and give them ``grace`` seconds to exit.

    A fetcher still inside a request or a rate-limit wait after that is a daemon thread: once ``stop`` is set it
    can no longer hand anything over, so it cannot write, and it dies with the process.
    """
    deadline = time.monotonic() + grace
    for thread in threads:
        while thread.is_alive() and time.monotonic() < deadline:
            handoff.take_all(0)
            thread.join(timeout=0.1)
