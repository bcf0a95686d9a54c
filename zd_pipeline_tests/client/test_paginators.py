"""Each paginator against scripted responses (``httpx.MockTransport``): where it goes next, where it resumes."""

from collections.abc import Callable

import httpx
import pytest

from zd_pipeline.catalogue import (
    ORGANIZATIONS,
    ROUTING_ATTRIBUTES,
    TICKET_EVENTS,
    TICKETS,
    Pagination,
    to_iso,
)
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import ApiTokenAuth, ClientConfig, ForeignHostError, InvalidResponseError, ZendeskClient
from zd_pipeline.clock import ManualClock

ORIGIN = "https://acme.zendesk.com"
NOW = 1_700_000_000
CURSOR_PATH = TICKETS.cursor_path


def _client(handler: Callable[[httpx.Request], httpx.Response], **config) -> ZendeskClient:
    cfg = ClientConfig(base_url=ORIGIN, auth=ApiTokenAuth("a@example.com", "t"), requests_per_minute=0, **config)
    return ZendeskClient(cfg, clock=ManualClock(NOW), transport=httpx.MockTransport(handler))


def _replay(bodies: list[dict]) -> tuple[Callable, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=bodies[len(seen) - 1])

    return handler, seen


def _ticket(i: int, ts: int) -> dict:
    return {"id": i, "generated_timestamp": ts, "status": "open"}


def _cursor_page(tickets: list[dict], after: str | None, end: bool) -> dict:
    url = f"{ORIGIN}{CURSOR_PATH}?cursor={after}" if after else None
    return {
        "tickets": tickets,
        "after_cursor": after,
        "after_url": url,
        "before_cursor": None,
        "before_url": None,
        "end_of_stream": end,
    }


def test_cursor_export_starts_with_start_time_then_follows_after_cursor() -> None:
    handler, seen = _replay(
        [
            _cursor_page([_ticket(1, 100), _ticket(2, 101)], "c1", False),
            _cursor_page([_ticket(3, 105)], "c2", False),
            _cursor_page([], "c3", True),
        ]
    )
    with _client(handler, per_page=2) as client:
        pages = list(client.iter_pages(TICKETS, ResumePoint(start_time=50)))
    assert [dict(r.url.params) for r in seen] == [
        {"start_time": "50", "per_page": "2"},
        {"cursor": "c1", "per_page": "2"},
        {"cursor": "c2", "per_page": "2"},
    ]
    assert [p.resume for p in pages] == [ResumePoint(cursor="c1"), ResumePoint(cursor="c2"), ResumePoint(cursor="c3")]
    assert [p.high_water_mark for p in pages] == [101, 105, 105]
    assert [p.end_of_stream for p in pages] == [False, False, True]
    assert pages[0].url == f"{ORIGIN}{CURSOR_PATH}?start_time=50&per_page=2"


def test_cursor_export_resumes_from_a_cursor() -> None:
    handler, seen = _replay([_cursor_page([_ticket(1, 100)], "c9", True)])
    with _client(handler) as client:
        (page,) = client.iter_pages(TICKETS, ResumePoint(cursor="c8"))
    assert seen[0].url.params["cursor"] == "c8" and "start_time" not in seen[0].url.params
    assert page.resume == ResumePoint(cursor="c9") and page.end_of_stream


def test_cursor_export_with_end_time_resumes_from_the_bound_not_the_cursor() -> None:
    handler, seen = _replay(
        [
            _cursor_page([_ticket(1, 100)], "c1", False),
            _cursor_page([_ticket(2, 150), _ticket(3, 200), _ticket(4, 201)], "c2", False),
        ]
    )
    with _client(handler) as client:
        pages = list(client.iter_pages(TICKETS, ResumePoint(start_time=50), end_time=200))
    assert len(seen) == 2
    assert [r["id"] for r in pages[1].records] == [2]
    assert pages[1].resume == ResumePoint(start_time=200) and pages[1].end_of_stream
    assert pages[1].high_water_mark == 150


def _routing_page(items: list[dict], cursor: str | None) -> dict:
    next_page = f"{ORIGIN}{ROUTING_ATTRIBUTES.time_path}?cursor={cursor}" if cursor else None
    return {"attributes": items, "count": len(items), "end_time": 0, "next_page": next_page}


def _attribute(uuid: str, ts: int) -> dict:
    return {"id": uuid, "type": "create", "time": to_iso(ts), "attribute_id": "a1", "name": "Language"}


def test_routing_export_follows_next_page_cursor_until_count_zero() -> None:
    handler, seen = _replay(
        [
            _routing_page([_attribute("u1", 100), _attribute("u2", 110)], "r1"),
            _routing_page([_attribute("u3", 120)], "r2"),
            _routing_page([], "r3"),
        ]
    )
    with _client(handler) as client:
        pages = list(client.iter_pages(ROUTING_ATTRIBUTES, ResumePoint(start_time=50)))
    assert [dict(r.url.params) for r in seen] == [{"start_time": "50"}, {"cursor": "r1"}, {"cursor": "r2"}]
    assert [p.resume for p in pages] == [ResumePoint(cursor="r1"), ResumePoint(cursor="r2"), ResumePoint(cursor="r3")]
    assert [len(p.records) for p in pages] == [2, 1, 0] and pages[-1].end_of_stream
    assert pages[-1].high_water_mark == 120


def test_routing_export_without_a_final_cursor_resumes_where_it_last_asked() -> None:
    handler, _ = _replay([_routing_page([_attribute("u1", 100)], "r1"), _routing_page([], None)])
    with _client(handler) as client:
        pages = list(client.iter_pages(ROUTING_ATTRIBUTES, ResumePoint(start_time=50)))
    assert pages[-1].resume == ResumePoint(cursor="r1")


def _time_page(events: list[dict], end_time: int | None, end: bool) -> dict:
    return {
        "ticket_events": events,
        "count": len(events),
        "end_time": end_time,
        "end_of_stream": end,
        "next_page": f"{ORIGIN}{TICKET_EVENTS.time_path}?start_time={end_time}",
    }


def _event(i: int, ts: int) -> dict:
    return {"id": i, "ticket_id": 1, "timestamp": ts}


def test_time_export_continues_past_empty_pages_until_end_of_stream_and_sends_sideloads() -> None:
    handler, seen = _replay(
        [
            _time_page([], 100, False),
            _time_page([_event(1, 120)], 120, True),
        ]
    )
    with _client(handler) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
    assert [r.url.params["start_time"] for r in seen] == ["50", "100"]
    assert all(r.url.params["include"] == "comment_events" for r in seen)
    assert pages[-1].records == [_event(1, 120)] and pages[-1].resume == ResumePoint(start_time=120)


def test_time_export_steps_past_a_whole_same_second_group() -> None:
    group = [_event(i, 100) for i in range(1, 6)]
    handler, seen = _replay(
        [
            _time_page(group, 100, False),  # asked from 100, got one whole (oversized) group of second 100
            _time_page([_event(9, 101)], 101, True),
        ]
    )
    with _client(handler, per_page=2) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=100)))
    assert [r.url.params["start_time"] for r in seen] == ["100", "101"]
    assert pages[0].resume == ResumePoint(start_time=101)
    assert [r["id"] for p in pages for r in p.records] == [1, 2, 3, 4, 5, 9]


def test_start_time_is_clamped_to_one_minute_ago() -> None:
    handler, seen = _replay([_time_page([], None, True)])
    with _client(handler) as client:
        (page,) = client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=NOW + 3600))
    assert seen[0].url.params["start_time"] == str(NOW - 60)
    assert page.end_of_stream and page.records == [] and page.resume == ResumePoint(start_time=NOW - 60)


def test_stepping_into_the_last_minute_ends_the_iteration_resumable() -> None:
    handler, seen = _replay([_time_page([_event(1, NOW - 60)], NOW - 60, False)])
    with _client(handler) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=NOW - 60)))
    assert len(seen) == 1 and pages[-1].end_of_stream
    assert pages[-1].resume == ResumePoint(start_time=NOW - 59)


def _without_end_of_stream(page: dict) -> dict:
    return {key: value for key, value in page.items() if key != "end_of_stream"}


def test_a_time_export_without_end_of_stream_ends_at_a_short_page() -> None:
    """Zendesk's schema of the metric events export has no ``end_of_stream``: full pages go on, a short one ends."""
    handler, seen = _replay(
        [
            _without_end_of_stream(_time_page([_event(1, 100), _event(2, 101)], 101, False)),
            _without_end_of_stream(_time_page([_event(3, 102), _event(4, 102), _event(5, 102)], 102, False)),
            _without_end_of_stream(_time_page([_event(6, 110)], 110, False)),
        ]
    )
    with _client(handler, per_page=2) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
    assert len(seen) == 3 and [p.end_of_stream for p in pages] == [False, False, True]
    assert pages[-1].resume == ResumePoint(start_time=110)
    assert sum(len(p.records) for p in pages) == 6


def test_a_time_export_without_end_of_stream_or_count_ends_at_an_empty_page() -> None:
    full = {"ticket_events": [_event(1, 100), _event(2, 101)], "end_time": 101}
    handler, seen = _replay([full, {"ticket_events": [], "end_time": 101}])
    with _client(handler, per_page=2) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
    assert len(seen) == 2 and pages[-1].end_of_stream and pages[-1].resume == ResumePoint(start_time=101)


def test_end_of_stream_is_believed_where_a_page_carries_it() -> None:
    handler, seen = _replay([_time_page([_event(1, 100)], 100, False), _time_page([_event(2, 120)], 120, True)])
    with _client(handler, per_page=2) as client:
        pages = list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
    assert len(seen) == 2 and [p.end_of_stream for p in pages] == [False, True]


def test_start_at_or_after_end_time_sends_nothing() -> None:
    handler, seen = _replay([])
    with _client(handler) as client:
        (page,) = client.iter_pages(ORGANIZATIONS, ResumePoint(start_time=500), end_time=500)
    assert seen == [] and page.end_of_stream and page.resume == ResumePoint(start_time=500) and page.url is None


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ({"count": 0, "end_time": 1, "end_of_stream": True}, "response key 'ticket_events'"),
        (_time_page([{"ticket_id": 1, "timestamp": 5}], 5, True), "no usable 'id'"),
        (_time_page([{"id": 1, "ticket_id": 1}], 5, True), "'timestamp'"),
        ({"ticket_events": [], "end_time": 5, "end_of_stream": "no"}, "end_of_stream"),
        (_time_page([_event(1, 40)], 40, False), "before the page's start_time"),
    ],
)
def test_pages_of_the_wrong_shape_are_named(body: dict, what: str) -> None:
    handler, _ = _replay([body])
    with _client(handler) as client, pytest.raises(InvalidResponseError, match=what) as info:
        list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
    assert "'ticket_events'" in str(info.value) and f"{ORIGIN}{TICKET_EVENTS.time_path}?" in str(info.value)


@pytest.mark.parametrize(
    ("stream", "body"),
    [
        (
            TICKET_EVENTS,
            {**_time_page([_event(1, 60)], 60, False), "next_page": "https://evil.example/x?start_time=60"},
        ),
        (TICKETS, {**_cursor_page([_ticket(1, 60)], "c1", False), "after_url": "https://evil.example/x?cursor=c1"}),
        (
            ROUTING_ATTRIBUTES,
            {**_routing_page([_attribute("u", 60)], None), "next_page": "http://evil.example/?cursor=1"},
        ),
    ],
    ids=["time", "cursor", "routing"],
)
def test_foreign_next_page_raises_before_anything_is_sent_there(stream, body) -> None:
    handler, seen = _replay([body, body])
    with _client(handler) as client:
        pages = client.iter_pages(stream, ResumePoint(start_time=50))
        with pytest.raises(ForeignHostError, match=r"evil\.example"):
            next(pages)
    assert len(seen) == 1 and all(r.url.host == "acme.zendesk.com" for r in seen)


def test_bad_arguments_fail_at_the_call() -> None:
    handler, seen = _replay([])
    with _client(handler) as client:
        with pytest.raises(ValueError, match="has no cursor export"):
            client.iter_pages(ORGANIZATIONS, ResumePoint(start_time=1), pagination=Pagination.CURSOR)
        with pytest.raises(ValueError, match="resumes from a start_time"):
            client.iter_pages(ORGANIZATIONS, ResumePoint(cursor="x"))
        with pytest.raises(ValueError, match="end_time"):
            client.iter_pages(ORGANIZATIONS, ResumePoint(start_time=1), end_time="tomorrow")
        with pytest.raises(KeyError, match="known streams"):
            client.iter_pages("tickets_v2", ResumePoint(start_time=1))
    assert seen == []


def test_time_export_of_a_cursor_stream_is_selectable() -> None:
    handler, seen = _replay([{"tickets": [_ticket(1, 70)], "count": 1, "end_time": 70, "end_of_stream": True}])
    with _client(handler) as client:
        (page,) = client.iter_pages(TICKETS, ResumePoint(start_time=50), pagination=Pagination.TIME)
    assert seen[0].url.path == TICKETS.time_path and page.resume == ResumePoint(start_time=70)


def test_stats_count_pages_and_records_per_stream() -> None:
    handler, _ = _replay([_time_page([_event(1, 60), _event(2, 61)], 61, False), _time_page([_event(2, 61)], 61, True)])
    with _client(handler) as client:
        list(client.iter_pages(TICKET_EVENTS, ResumePoint(start_time=50)))
        counts = client.stats.for_stream("ticket_events")
    assert (counts.requests, counts.pages, counts.records) == (2, 2, 2)
    assert client.stats.records == 2 and set(client.stats.streams) == {"ticket_events"}


def test_routing_end_time_filters_to_the_end_because_routing_is_not_ordered() -> None:
    handler, seen = _replay(
        [
            _routing_page([_attribute("u1", 100), _attribute("u2", 300)], "r1"),
            _routing_page([_attribute("u3", 150)], "r2"),
            _routing_page([], "r3"),
        ]
    )
    with _client(handler) as client:
        pages = list(client.iter_pages(ROUTING_ATTRIBUTES, ResumePoint(start_time=50), end_time=200))
    assert len(seen) == 3
    assert [r["id"] for p in pages for r in p.records] == ["u1", "u3"]
    assert pages[-1].resume == ResumePoint(start_time=200) and pages[-1].high_water_mark == 150


def test_an_export_ending_before_a_future_bound_keeps_its_own_resume_point() -> None:
    handler, _ = _replay([_cursor_page([_ticket(1, 100)], "c1", True)])
    with _client(handler) as client:
        (page,) = client.iter_pages(TICKETS, ResumePoint(start_time=50), end_time=NOW + 86_400)
    assert page.resume == ResumePoint(cursor="c1") and page.end_of_stream
