"""The list client: cursor pages to the end, links checked, its own budget, the account's remaining count, 429s."""

import httpx
import pytest

from zd_pipeline.catalogue import LISTS, get_list
from zd_pipeline.client import (
    ApiTokenAuth,
    ClientConfig,
    ForeignHostError,
    InvalidResponseError,
    ListClient,
    PermissionDeniedError,
)
from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.simulator.auth import Credentials

BASE = "https://acme.zendesk.com"
AUTH = ApiTokenAuth(DEMO_EMAIL, DEMO_API_TOKEN)


def _client(transport: httpx.BaseTransport, clock: ManualClock | None = None, **kwargs) -> ListClient:
    return ListClient(
        ClientConfig(base_url=BASE, auth=AUTH), transport=transport, clock=clock or ManualClock(0), **kwargs
    )


def test_every_list_reads_exactly_the_simulators_items() -> None:
    sim = Simulator(scale="small", seed=5, rate_limit=None, credentials=Credentials.demo())
    with serve(sim) as url, ListClient(ClientConfig(base_url=url, auth=AUTH), requests_per_minute=0) as client:
        for name, stream in LISTS.items():
            assert client.read_all(stream) == sim.list_truth(name), name
        ratings = get_list("satisfaction_ratings")
        pages = list(client.iter_pages(ratings))
        assert len(pages) == -(-len(sim.list_truth("satisfaction_ratings")) // 100) and pages[-1].end
        assert all("page%5Bsize%5D=100" in page.url or "page[size]=100" in page.url for page in pages)


def test_pages_follow_next_links_and_the_cursor_and_stop_where_they_must() -> None:
    pages = {
        "/api/v2/groups": {"groups": [{"id": 1}], "meta": {"has_more": True, "after_cursor": "c1"}, "links": {}},
        "c1": {"groups": [{"id": 2}], "meta": {"has_more": True}, "links": {"next": f"{BASE}/api/v2/groups?p=3"}},
        "3": {"groups": [{"id": 3}], "meta": {"has_more": False}, "links": {"next": None}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.params.get("page[after]") or request.url.params.get("p") or request.url.path
        return httpx.Response(200, json=pages[key])

    with _client(httpx.MockTransport(handler)) as client:
        assert [r["id"] for r in client.read_all(get_list("groups"))] == [1, 2, 3]


def test_a_link_to_another_host_or_in_a_circle_is_refused() -> None:
    sent: list[str] = []

    def foreign(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        body = {"groups": [], "meta": {"has_more": True}, "links": {"next": "https://evil.example/api/v2/groups"}}
        return httpx.Response(200, json=body)

    with _client(httpx.MockTransport(foreign)) as client, pytest.raises(ForeignHostError):
        client.read_all(get_list("groups"))
    assert all(url.startswith(BASE) for url in sent)

    def circle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ticket_forms": [], "next_page": str(request.url)})

    with _client(httpx.MockTransport(circle)) as client, pytest.raises(InvalidResponseError, match="repeats"):
        client.read_all(get_list("ticket_forms"))


def test_the_lists_pause_while_the_account_has_no_more_than_the_reserve_left() -> None:
    clock, remaining = ManualClock(1000), iter(["50", "20", "19", "100"])
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now())
        headers = {"x-rate-limit-remaining": next(remaining)}
        if len(sent_at) == 3:
            headers["ratelimit-reset"] = "7"
        return httpx.Response(200, json={"custom_statuses": [], "next_page": None}, headers=headers)

    with _client(httpx.MockTransport(handler), clock, reserve=20) as client:
        for _ in range(4):
            client.read_all(get_list("custom_statuses"))
    assert sent_at == [1000, 1000, 1060, 1067]  # 20 left: a minute; 19 left with a 7 s reset: 7 s
    assert client.budget.waits == 2 and client.budget.remaining == 100


def test_lists_retry_429s_and_5xx_on_the_fetchers_one_path_and_keep_their_own_budget() -> None:
    clock = ManualClock(1_790_000_000)
    sim = Simulator(scale="small", seed=5, clock=clock, rate_limit=None, credentials=Credentials.demo())
    sim.set_faults("burst429=0.15,500=0.25")
    with serve(sim) as url:
        config = ClientConfig(base_url=url, auth=AUTH)
        with ListClient(config, clock=clock, requests_per_minute=0) as client:
            ratings = client.read_all(get_list("satisfaction_ratings"))
        assert ratings == sim.list_truth("satisfaction_ratings")
        statuses = [entry[-1] for entry in sim.request_log]
        assert 429 in statuses and 500 in statuses
        assert client.stats.for_stream("satisfaction_ratings").retries == len(statuses) - statuses.count(200)
        sim.set_faults(None)
        with ListClient(config, clock=clock, requests_per_minute=3) as throttled:
            start = clock.now()
            for name in ("groups", "brands", "ticket_forms", "custom_statuses"):
                throttled.read_all(get_list(name))
            assert clock.now() - start >= 60  # the fourth request waited for the lists' own window
            assert throttled.stats.total.responses_429 == 0


def test_a_plan_without_the_feature_is_a_permission_error() -> None:
    sim = Simulator(
        scale="small", seed=5, rate_limit=None, credentials=Credentials.demo(), features_off=("custom_statuses",)
    )
    with serve(sim) as url, ListClient(ClientConfig(base_url=url, auth=AUTH)) as client:
        with pytest.raises(PermissionDeniedError):
            client.read_all(get_list("custom_statuses"))
        with pytest.raises(ValueError, match="start time"):
            list(client.iter_pages(get_list("groups"), since=5))
