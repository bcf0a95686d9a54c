"""HTTP behaviour of the export endpoints: routing, auth, rate limit, headers."""

from __future__ import annotations

import base64

import httpx
import pytest

from zd_pipeline.catalogue import STREAMS, TICKETS
from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL, DEMO_OAUTH_TOKEN
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.simulator.app import build_routes
from zd_pipeline.simulator.auth import Credentials

PARAMS = {"start_time": 0, "per_page": 1}


def test_routes_come_from_the_catalogue() -> None:
    routes = build_routes()
    for stream in STREAMS.values():
        for pagination in stream.paginations:
            assert routes[stream.path_for(pagination).removesuffix(".json")] == (stream, pagination)


@pytest.mark.parametrize("path", ["/api/v2/incremental/nothing.json", "/api/v2/tickets.json", "/favicon.ico"])
def test_unknown_paths_are_a_json_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": "InvalidEndpoint", "description": "Not found"}


def test_writes_are_refused(client: httpx.Client) -> None:
    assert client.post(TICKETS.time_path, params=PARAMS).status_code == 405


def test_api_token_and_oauth_are_accepted(base_url: str) -> None:
    basic = httpx.get(f"{base_url}{TICKETS.time_path}", params=PARAMS, auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN))
    bearer = httpx.get(
        f"{base_url}{TICKETS.time_path}", params=PARAMS, headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}
    )
    assert basic.status_code == bearer.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic " + base64.b64encode(f"{DEMO_EMAIL}:{DEMO_API_TOKEN}".encode()).decode()},
        {"Authorization": "Basic !!!"},
        {"Authorization": f"Token {DEMO_API_TOKEN}"},
    ],
)
def test_anything_else_is_a_401_zendesk_style(base_url: str, headers: dict[str, str]) -> None:
    response = httpx.get(f"{base_url}{TICKETS.time_path}", params=PARAMS, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_credentials_from_the_environment_replace_the_demo_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_EMAIL", "ops@example.org")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cret-token")
    monkeypatch.delenv("ZENDESK_OAUTH_TOKEN", raising=False)
    sim = Simulator(clock=ManualClock(1_790_000_000), rate_limit=None)
    with serve(sim) as url:
        ok = httpx.get(f"{url}{TICKETS.time_path}", params=PARAMS, auth=("ops@example.org/token", "s3cret-token"))
        demo = httpx.get(f"{url}{TICKETS.time_path}", params=PARAMS, auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN))
    assert (ok.status_code, demo.status_code) == (200, 401)
    assert "s3cret" not in repr(sim.credentials) and "s3cret" not in repr(sim)


def test_rate_limit_is_per_endpoint_per_rolling_minute(clock: ManualClock) -> None:
    sim = Simulator(clock=clock, rate_limit=3, credentials=Credentials.demo())
    auth = (f"{DEMO_EMAIL}/token", DEMO_API_TOKEN)
    with serve(sim) as url, httpx.Client(base_url=url, auth=auth) as client:
        statuses = []
        for _ in range(3):
            response = client.get(TICKETS.time_path, params=PARAMS)
            statuses.append((response.status_code, response.headers["x-rate-limit-remaining"]))
            clock.advance(5)
        assert statuses == [(200, "2"), (200, "1"), (200, "0")]
        refused = client.get(TICKETS.time_path, params=PARAMS)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "45"  # the first request leaves the window 60 s after it came
        assert refused.headers["x-rate-limit"] == "3"
        assert refused.json()["error"] == "APIRateLimitExceeded"
        assert client.get(TICKETS.cursor_path, params=PARAMS).status_code == 200  # another endpoint
        clock.advance(int(refused.headers["retry-after"]))
        assert client.get(TICKETS.time_path, params=PARAMS).status_code == 200
    assert [entry[4] for entry in sim.request_log] == [200, 200, 200, 429, 200, 200]


def test_rate_limit_off_sends_no_limit_headers(client: httpx.Client) -> None:
    response = client.get(TICKETS.time_path, params=PARAMS)
    assert response.status_code == 200 and "x-rate-limit" not in response.headers


def test_request_log_records_clock_time_path_query_and_status(client: httpx.Client, sim: Simulator) -> None:
    client.get(TICKETS.time_path, params=PARAMS)
    client.get("/api/v2/nope")
    client.get("/_sim/info")
    log = sim.request_log
    assert [(e[1], e[2], e[3], e[4]) for e in log] == [
        ("GET", TICKETS.time_path, "start_time=0&per_page=1", 200),
        ("GET", "/api/v2/nope", "", 404),
    ]
    assert log[0][0] == sim.clock.now()
