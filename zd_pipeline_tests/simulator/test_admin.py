"""The admin API: ground truth, mutations, clock, request log; loopback only."""

from __future__ import annotations

import asyncio

import httpx

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.clock import ManualClock, SystemClock
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.simulator.admin import AdminApi
from zd_pipeline.simulator.auth import Credentials
from zd_pipeline_tests.simulator.exporting import touched_ids


def test_truth_endpoint_matches_the_method_and_filters(client: httpx.Client, sim: Simulator) -> None:
    whole = client.get("/_sim/truth/tickets").json()
    assert whole == sim.truth("tickets")
    start, end = whole[100]["generated_timestamp"], whole[200]["generated_timestamp"]
    window = client.get("/_sim/truth/tickets", params={"start": start, "end": end}).json()
    assert window == [t for t in whole if start <= t["generated_timestamp"] < end]
    summary = client.get("/_sim/truth/tickets", params={"summary": 1}).json()
    assert summary["count"] == len(whole) and len(summary["checksum"]) == 64
    assert client.get("/_sim/truth/nothing").status_code == 404


def test_mutate_endpoint_changes_data_now(client: httpx.Client, sim: Simulator, clock: ManualClock) -> None:
    touched = client.post("/_sim/mutate", json={"updates": 2, "creates": 1}).json()
    assert len(touched_ids(touched, "tickets")) == 3
    assert client.post("/_sim/mutate", json={"updates": -1}).status_code == 400
    assert client.post("/_sim/mutate", json={"colour": "red"}).status_code == 400
    assert client.post("/_sim/clock/advance", params={"seconds": "soon"}).status_code == 400
    assert client.post("/_sim/clock/advance", params={"seconds": 61}).json() == {"now": clock.now()}
    newest = sim.truth("tickets")[-3:]
    assert sorted(t["id"] for t in newest) == sorted(touched_ids(touched, "tickets"))


def test_clock_advance_needs_a_manual_clock() -> None:
    sim = Simulator(clock=SystemClock(), rate_limit=None, credentials=Credentials.demo())
    with serve(sim) as url:
        assert httpx.post(f"{url}/_sim/clock/advance", params={"seconds": 5}).status_code == 409


def test_requests_endpoint_lists_the_log(client: httpx.Client) -> None:
    client.get(TICKETS.time_path, params={"start_time": 0, "per_page": 1})
    log = client.get("/_sim/requests").json()
    assert [row[1:] for row in log] == [["GET", TICKETS.time_path, "start_time=0&per_page=1", 200]]


def test_info_describes_the_account(client: httpx.Client, sim: Simulator) -> None:
    info = client.get("/_sim/info").json()
    assert info["scale"] == "small" and info["seed"] == sim.seed
    assert info["streams"]["tickets"] == len(sim.truth("tickets"))


def test_admin_refuses_non_loopback_clients(sim: Simulator) -> None:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/_sim/info", "query_string": b"", "client": ("10.0.0.5", 1)}
    asyncio.run(AdminApi(sim).handle(scope, receive, send))
    assert sent[0]["status"] == 403


def test_maintenance_endpoint_answers_503_with_retry_after_until_the_window_ends(
    client: httpx.Client, sim: Simulator, clock: ManualClock
) -> None:
    window = client.post("/_sim/maintenance", json={"seconds": 90, "retry_after": "joined", "step": 60}).json()
    assert window["end"] - window["start"] == 90
    refused = client.get(TICKETS.cursor_path, params={"start_time": 0})
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1, 60"
    clock.advance(45)
    assert client.get(TICKETS.cursor_path, params={"start_time": 0}).headers["retry-after"] == "1, 45"
    clock.advance(45)
    assert client.get(TICKETS.cursor_path, params={"start_time": 0}).status_code == 200
    assert client.post("/_sim/maintenance", json={"seconds": 5, "retry_after": "weekly"}).status_code == 400


def test_options_endpoint_changes_the_envelope(client: httpx.Client, sim: Simulator) -> None:
    options = client.post("/_sim/options", json={"canonical_host": "acme.zendesk.com", "cursor_style": "standard"})
    assert options.json()["canonical_host"] == "acme.zendesk.com"
    page = client.get(TICKETS.cursor_path, params={"start_time": 0, "per_page": 5}).json()
    assert page["after_url"].startswith(f"https://acme.zendesk.com{TICKETS.cursor_path}?cursor=%2B%2F%2B%2F")
    assert page["after_cursor"].startswith("+/+/") and page["after_cursor"].endswith("=")
    assert client.post("/_sim/options", json={"cursor_style": "fancy"}).status_code == 400
