"""The client end to end against the simulator over loopback HTTP: exact exports, faults, limits, safety.

Both ends share one ``ManualClock`` and the client sleeps on it, so back-offs, ``Retry-After`` waits and
rate-limit windows pass instantly in wall time.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

import httpx
import pytest

from zd_pipeline.catalogue import (
    ORGANIZATIONS,
    ROUTING_INSTANCE_VALUES,
    STREAMS,
    TICKET_METRIC_EVENTS,
    TICKETS,
    USERS,
    Pagination,
    Stream,
)
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import (
    ApiTokenAuth,
    AuthenticationError,
    ClientConfig,
    OAuthAuth,
    Page,
    ZendeskClient,
)
from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL, DEMO_OAUTH_TOKEN
from zd_pipeline.simulator import Credentials, Simulator, serve

NOW = 1_790_000_000.0
AUTH = ApiTokenAuth(DEMO_EMAIL, DEMO_API_TOKEN)


@contextmanager
def running(
    rate_limit: int = 0, faults: str | None = None, **config
) -> Iterator[tuple[Simulator, ZendeskClient, ManualClock]]:
    """A small simulator on a free loopback port and a client for it, sharing one ManualClock."""
    clock = ManualClock(NOW)
    sim = Simulator(
        scale="small", seed=0, clock=clock, rate_limit=rate_limit, faults=faults, credentials=Credentials.demo()
    )
    transport = config.pop("transport", None)
    with serve(sim) as base_url:
        cfg = ClientConfig(base_url=base_url, **{"auth": AUTH, "requests_per_minute": 0, **config})
        with ZendeskClient(cfg, clock=clock, transport=transport) as client:
            yield sim, client, clock


def everything(client: ZendeskClient, stream: Stream, kind: Pagination | None = None, start: int = 0) -> list[Page]:
    return list(client.iter_pages(stream, ResumePoint(start_time=start), pagination=kind))


def records_of(pages: list[Page]) -> list[dict]:
    return [r for p in pages for r in p.records]


def api_requests(sim: Simulator) -> list[tuple[str, dict[str, str], int]]:
    return [
        (path, {k: v[-1] for k, v in parse_qs(query).items()}, status) for _, _, path, query, status in sim.request_log
    ]


CASES = [(s, k) for s in STREAMS.values() for k in s.paginations]


@pytest.fixture(scope="module")
def static_account() -> Iterator[tuple[Simulator, ZendeskClient, ManualClock]]:
    with running(per_page=400) as running_account:
        yield running_account


@pytest.mark.parametrize(("stream", "kind"), CASES, ids=[f"{s.name}-{k.value}" for s, k in CASES])
def test_every_stream_paged_to_the_end_equals_the_truth(static_account, stream: Stream, kind: Pagination) -> None:
    sim, client, _ = static_account
    pages = everything(client, stream, kind)
    truth = sim.truth(stream.name)
    assert records_of(pages) == truth and len(truth) > 0
    assert pages[-1].end_of_stream and not any(p.end_of_stream for p in pages[:-1])
    assert pages[-1].high_water_mark == stream.ordering_epoch(truth[-1])


def test_boundary_repeats_are_dropped_and_whole_second_groups_stepped_past() -> None:
    with running(per_page=20) as (sim, client, _):
        truth = sim.truth("users")
        group_ts, group_size = Counter(USERS.ordering_epoch(u) for u in truth).most_common(1)[0]
        assert group_size > 20  # the account holds a bulk update larger than a page
        pages = everything(client, USERS, Pagination.TIME)
        assert records_of(pages) == truth
        assert client.stats.for_stream("users").repeats_dropped > 0
        starts = [int(q["start_time"]) for _, q, _ in api_requests(sim)]
        assert group_ts in starts and group_ts + 1 in starts
        assert any(sum(USERS.ordering_epoch(u) == group_ts for u in p.records) == group_size for p in pages)


def test_a_same_second_group_larger_than_1000_is_read_whole_then_stepped_past() -> None:
    with running(per_page=1000) as (sim, client, _):
        truth = sim.truth("tickets")
        group_ts, group_size = Counter(TICKETS.ordering_epoch(t) for t in truth).most_common(1)[0]
        assert group_size > 1000
        pages = everything(client, TICKETS, Pagination.TIME)
        assert records_of(pages) == truth
        assert max(len(p.records) for p in pages) >= group_size
        assert group_ts + 1 in [int(q["start_time"]) for _, q, _ in api_requests(sim)]


def test_faults_are_retried_until_the_export_is_exact() -> None:
    faults = "500=0.1,503=0.1,truncate=0.1,reset=0.1"
    with running(faults=faults, per_page=200) as (sim, client, _):
        for stream in (TICKETS, ORGANIZATIONS, TICKET_METRIC_EVENTS):
            assert records_of(everything(client, stream)) == sim.truth(stream.name)
        statuses = Counter(status for _, _, status in api_requests(sim))
        assert statuses[500] and statuses[503]
        assert client.stats.retries > statuses[500] + statuses[503]  # truncated and reset bodies were retried too


def test_429_bursts_are_waited_out_as_retry_after_says() -> None:
    with running(faults="burst429=0.15:3", per_page=100) as (sim, client, clock):
        assert records_of(everything(client, TICKETS)) == sim.truth("tickets")
        refused = sum(1 for _, _, status in api_requests(sim) if status == 429)
        assert refused >= 3 and client.stats.responses_429 == refused
        assert clock.now() - NOW >= refused  # each 429 said Retry-After: 1


def test_without_its_own_throttle_the_client_still_honours_the_servers_limit() -> None:
    with running(rate_limit=10, per_page=100, requests_per_minute=0) as (sim, client, clock):
        assert records_of(everything(client, TICKETS)) == sim.truth("tickets")
        assert client.stats.responses_429 > 0
        assert clock.now() - NOW >= 60


def test_the_throttle_keeps_a_rate_limited_sync_free_of_429s() -> None:
    with running(rate_limit=10, per_page=100, requests_per_minute=10) as (sim, client, clock):
        assert records_of(everything(client, TICKETS)) == sim.truth("tickets")
        log = sim.request_log
        assert len(log) > 20 and all(status == 200 for *_, status in log)
        times = [t for t, *_ in log]
        assert all(sum(1 for u in times if t <= u < t + 60) <= 10 for t in times)
        assert clock.now() - NOW >= 60 * (len(log) // 10 - 1)


def test_streams_paged_concurrently_from_threads_each_stay_within_their_endpoint_limit() -> None:
    streams = (TICKETS, USERS, ORGANIZATIONS, TICKET_METRIC_EVENTS)
    with running(rate_limit=10, per_page=500, requests_per_minute=10) as (sim, client, _):
        results: dict[str, list[dict]] = {}
        errors: list[BaseException] = []

        def sync(stream: Stream) -> None:
            try:
                results[stream.name] = records_of(everything(client, stream))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=sync, args=(s,)) for s in streams]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        for stream in streams:
            assert results[stream.name] == sim.truth(stream.name)
        assert all(status == 200 for *_, status in sim.request_log)
        assert client.stats.responses_429 == 0
        assert set(client.stats.streams) == {s.name for s in streams}
        assert len({path for _, _, path, _, _ in sim.request_log}) == len(streams)


def test_timeouts_halve_per_page_and_the_export_stays_exact() -> None:
    # A generous retry budget: on a loaded machine a normal request may also overrun the short timeout.
    with running(faults="slow=0.4:1.0", per_page=30, timeout=0.25, max_retries=12) as (sim, client, _):
        assert records_of(everything(client, USERS, Pagination.TIME)) == sim.truth("users")
        assert client.stats.timeouts > 0
        sizes = {q.get("per_page") for path, q, _ in api_requests(sim) if path.startswith(USERS.time_path[:-5])}
        assert {"30", "15"} <= sizes


class HostRewritingTransport(httpx.HTTPTransport):
    """A proxy that tells the server another Host (and records where requests really went), so links name it."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.add(request.url.host)
        request.headers["host"] = "attacker.example"
        return super().handle_request(request)


@pytest.mark.parametrize("stream", [ORGANIZATIONS, USERS, ROUTING_INSTANCE_VALUES], ids=lambda s: s.name)
def test_links_naming_another_host_are_followed_on_the_configured_base_only(stream) -> None:
    transport = HostRewritingTransport()
    with running(per_page=10, transport=transport) as (sim, client, _):
        pages = everything(client, stream)
        assert len(pages) >= 2 and records_of(pages) == sim.truth(stream.name)
        assert transport.hosts == {"127.0.0.1"}


def test_bad_credentials_fail_at_once_naming_the_fix_and_never_the_secret() -> None:
    secret = "wrong-token-5f3a9c"
    with running(auth=ApiTokenAuth(DEMO_EMAIL, secret)) as (sim, client, _):
        with pytest.raises(AuthenticationError, match="ZENDESK_API_TOKEN") as info:
            everything(client, TICKETS)
        assert [status for *_, status in sim.request_log] == [401]
        assert secret not in str(info.value) and secret not in repr(client)
        assert "tickets" in str(info.value) and "/api/v2/incremental/tickets/cursor.json" in str(info.value)


def test_oauth_tokens_work_too() -> None:
    with running(auth=OAuthAuth(DEMO_OAUTH_TOKEN)) as (sim, client, _):
        assert records_of(everything(client, ORGANIZATIONS)) == sim.truth("organizations")


def test_a_start_time_in_the_future_is_clamped_not_refused() -> None:
    with running() as (sim, client, _):
        pages = everything(client, TICKETS, start=int(NOW) + 3600)
        ((_, query, status),) = api_requests(sim)
        assert status == 200 and int(query["start_time"]) == int(NOW) - 60
        assert pages[-1].end_of_stream and records_of(pages) == []


def test_a_window_bound_reads_exactly_the_window_and_resumes_at_its_end() -> None:
    with running(per_page=300) as (sim, client, _):
        history = sim.info()["history"]
        start, end = history["start"] + 20 * 86_400, history["start"] + 21 * 86_400
        for stream in (TICKET_METRIC_EVENTS, TICKETS):
            pages = list(client.iter_pages(stream, ResumePoint(start_time=start), end_time=end))
            assert records_of(pages) == sim.truth(stream.name, start=start, end=end)
            assert pages[-1].resume == ResumePoint(start_time=end) and pages[-1].end_of_stream


@pytest.mark.parametrize("kind", [Pagination.CURSOR, Pagination.TIME])
def test_resuming_after_changes_brings_the_replica_up_to_date(kind: Pagination) -> None:
    with running(per_page=500) as (sim, client, clock):
        pages = everything(client, TICKETS, kind)
        replica = {t["id"]: t for t in records_of(pages)}
        sim.mutate(updates=30, creates=10, deletes=5)
        clock.advance(120)
        changed = records_of(list(client.iter_pages(TICKETS, pages[-1].resume, pagination=kind)))
        assert 45 <= len(changed) < 200  # the changes, plus at most a boundary second re-read
        replica.update({t["id"]: t for t in changed})
        assert sorted(replica.values(), key=lambda t: (t["generated_timestamp"], t["id"])) == sim.truth("tickets")


def change_key(stream: Stream, record: dict) -> tuple:
    """What identifies a record of the export: its id, or for a change log (routing) the change's key."""
    return tuple(record[k] for k in stream.history_key or (stream.primary_key,))


@pytest.mark.parametrize(
    ("stream", "kind"),
    [(TICKETS, Pagination.CURSOR), (TICKETS, Pagination.TIME), (ROUTING_INSTANCE_VALUES, Pagination.ROUTING)],
    ids=["cursor", "time", "routing"],
)
def test_a_crash_after_any_page_resumes_from_its_resume_point_losing_nothing(stream: Stream, kind) -> None:
    with running(per_page=200) as (sim, client, _):
        pages = everything(client, stream, kind)
        assert len(pages) >= 2 or kind is Pagination.ROUTING
        for cut in {0, len(pages) // 2, len(pages) - 2} - {-1}:
            committed = records_of(pages[: cut + 1])
            resumed = records_of(list(client.iter_pages(stream, pages[cut].resume, pagination=kind)))
            reread = {change_key(stream, r) for r in committed} & {change_key(stream, r) for r in resumed}
            assert len(reread) <= len(pages[cut].records)  # at most the committed page comes again
            merged = {change_key(stream, r): r for r in committed + resumed}
            assert sorted(merged.values(), key=lambda r: (stream.ordering_epoch(r), r["id"])) == sim.truth(stream.name)
