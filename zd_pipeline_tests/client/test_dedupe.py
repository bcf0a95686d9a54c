"""Boundary de-duplication, proven for any split of a stream into pages (hypothesis)."""

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from zd_pipeline.catalogue import TICKET_EVENTS
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import ApiTokenAuth, ClientConfig, ZendeskClient
from zd_pipeline.client.dedupe import BoundaryDeduper
from zd_pipeline.clock import ManualClock
from zd_pipeline.records import RawRecords
from zd_pipeline_tests.client.fake_exports import ORIGIN, FakeTimeExport

BASE = 1_700_000_000
CONFIG = ClientConfig(base_url=ORIGIN, auth=ApiTokenAuth("a@example.com", "t"), requests_per_minute=0, per_page=5)


def _page(ids: list[int], stamps: list[int]) -> RawRecords:
    return RawRecords([orjson.dumps({"id": i, "ts": ts}) for i, ts in zip(ids, stamps, strict=True)], ids, stamps)


def test_same_id_with_a_newer_timestamp_is_a_new_version() -> None:
    deduper = BoundaryDeduper()
    first = deduper.fresh(_page([1, 2], [10, 11]))
    second = deduper.fresh(_page([2, 1, 2], [11, 11, 12]))
    assert first == [{"id": 1, "ts": 10}, {"id": 2, "ts": 11}]
    assert second == [{"id": 1, "ts": 11}, {"id": 2, "ts": 12}] and second.stamps == [11, 12]


def test_memory_holds_only_the_newest_second() -> None:
    deduper = BoundaryDeduper()
    deduper.fresh(_page(list(range(100)), list(range(100))))
    assert len(deduper._seen) == 1


def _events(stamps: list[int]) -> list[dict]:
    return [{"id": i + 1, "timestamp": BASE + ts, "ticket_id": 1} for i, ts in enumerate(sorted(stamps))]


def _client(server: FakeTimeExport) -> ZendeskClient:
    return ZendeskClient(CONFIG, clock=ManualClock(BASE + 100_000), transport=httpx.MockTransport(server))


def _serve(records: list[dict], sizes: list[int], complete: list[bool]) -> FakeTimeExport:
    return FakeTimeExport(
        records,
        path=TICKET_EVENTS.time_path,
        response_key="ticket_events",
        ordering_field="timestamp",
        sizes=sizes,
        complete_groups=complete,
    )


stamps_st = st.lists(st.integers(0, 15), max_size=60)
sizes_st = st.lists(st.integers(1, 8), min_size=1, max_size=10)
complete_st = st.lists(st.booleans(), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(stamps=stamps_st, sizes=sizes_st, complete=complete_st)
def test_any_split_yields_every_record_exactly_once(stamps: list[int], sizes: list[int], complete: list[bool]) -> None:
    records = _events(stamps)
    with _client(_serve(records, sizes, complete)) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=BASE)))
    yielded = [r for p in pages for r in p.records]
    assert yielded == records  # exactly once, in export order
    assert [p.end_of_stream for p in pages] == [False] * (len(pages) - 1) + [True]
    assert pages[-1].high_water_mark == (records[-1]["timestamp"] if records else None)


@settings(max_examples=100, deadline=None)
@given(stamps=stamps_st, sizes=sizes_st, complete=complete_st, data=st.data())
def test_resuming_after_any_page_skips_nothing(stamps, sizes, complete, data) -> None:
    records = _events(stamps)
    with _client(_serve(records, sizes, complete)) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=BASE)))
        cut = data.draw(st.integers(0, len(pages) - 1))
        before = [r for p in pages[: cut + 1] for r in p.records]
        resume = pages[cut].resume
        after = [r for p in client.iter_pages(TICKET_EVENTS, resume) for r in p.records]
    ids_after = {r["id"] for r in after}
    assert {r["id"] for r in before} | ids_after == {r["id"] for r in records}
    assert len(after) == len(ids_after)  # no repeats within an iteration
    # What a resume re-reads is only the boundary second it resumes from.
    assert all(r["timestamp"] == resume.start_time for r in before if r["id"] in ids_after)


@settings(max_examples=100, deadline=None)
@given(stamps=stamps_st, sizes=sizes_st, complete=complete_st, bound=st.integers(0, 17))
def test_end_time_is_an_exclusive_bound(stamps, sizes, complete, bound) -> None:
    records = _events(stamps)
    end_time = BASE + bound
    with _client(_serve(records, sizes, complete)) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=BASE), end_time=end_time))
    assert [r for p in pages for r in p.records] == [r for r in records if r["timestamp"] < end_time]
    final = pages[-1]
    assert final.end_of_stream
    if any(r["timestamp"] >= end_time for r in records):
        assert final.resume == ResumePoint(start_time=end_time)
    else:
        assert final.resume.start_time <= end_time
