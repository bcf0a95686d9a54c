"""Zendesk's paging rules, checked against the running simulator."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from zd_pipeline.catalogue import TICKETS, USERS, Pagination
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator.paging import decode_cursor, encode_cursor
from zd_pipeline_tests.simulator.exporting import export, touched_ids

TIME = TICKETS.time_path


@pytest.mark.parametrize("per_page", ["1001", "5000"])
def test_per_page_above_1000_is_a_400_with_a_zendesk_error(client: httpx.Client, per_page: str) -> None:
    response = client.get(TIME, params={"start_time": 0, "per_page": per_page})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "InvalidValue" and "per_page" in body["description"]


@pytest.mark.parametrize("per_page", ["0", "-3", "ten", ""])
def test_per_page_must_be_a_positive_number(client: httpx.Client, per_page: str) -> None:
    response = client.get(USERS.cursor_path, params={"start_time": 0, "per_page": per_page})
    assert response.status_code == 400
    assert "per_page" in response.json()["description"]


def test_default_page_size_is_1000(client: httpx.Client) -> None:
    body = client.get(TICKETS.cursor_path, params={"start_time": 0}).json()
    assert len(body["tickets"]) == 1000


def test_a_bulk_update_makes_a_page_of_one_second_longer_than_1000(client: httpx.Client, sim: Simulator) -> None:
    seconds = Counter(t["generated_timestamp"] for t in sim.truth("tickets"))
    bulk_second, size = seconds.most_common(1)[0]
    assert size > 1000
    body = client.get(TIME, params={"start_time": bulk_second}).json()
    assert body["count"] == size
    assert body["end_time"] == bulk_second
    assert {t["generated_timestamp"] for t in body["tickets"]} == {bulk_second}
    assert body["next_page"].endswith(f"start_time={bulk_second}")
    assert body["end_of_stream"] is False


def test_time_pages_run_past_per_page_and_repeat_the_boundary_second(client: httpx.Client, sim: Simulator) -> None:
    users = sim.truth("users")
    seconds = Counter(USERS.ordering_epoch(u) for u in users)
    group_second, size = seconds.most_common(1)[0]
    assert size > 10
    before = [u for u in users if USERS.ordering_epoch(u) < group_second]
    start = USERS.ordering_epoch(before[-5])
    body = client.get(USERS.time_path, params={"start_time": start, "per_page": 10}).json()
    assert body["end_time"] == group_second
    served_seconds = Counter(USERS.ordering_epoch(u) for u in body["users"])
    assert served_seconds[group_second] == size  # the whole group, so the page is longer than per_page
    assert body["count"] == len(body["users"]) > 10
    following = client.get(body["next_page"]).json()
    assert "per_page=10" in body["next_page"]
    repeated = [u["id"] for u in following["users"] if USERS.ordering_epoch(u) == group_second]
    assert repeated == [u["id"] for u in body["users"] if USERS.ordering_epoch(u) == group_second][: len(repeated)]
    assert repeated  # the boundary group comes again on the next page, as Zendesk repeats it


@pytest.mark.parametrize("offset", [-59, 0, 3600])
def test_start_time_within_the_last_minute_or_future_is_refused(
    client: httpx.Client, clock: ManualClock, offset: int
) -> None:
    response = client.get(TIME, params={"start_time": int(clock.now()) + offset})
    assert response.status_code == 400
    assert response.json() == {
        "error": "InvalidValue",
        "description": "Too recent start_time. Use a start_time older than 1 minute",
    }


def test_start_time_is_required_and_numeric(client: httpx.Client) -> None:
    assert client.get(TIME).status_code == 400
    response = client.get(TIME, params={"start_time": "yesterday"})
    assert response.status_code == 400 and "start_time" in response.json()["description"]


def test_a_bad_cursor_is_a_400(client: httpx.Client) -> None:
    response = client.get(TICKETS.cursor_path, params={"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


def test_cursor_round_trip() -> None:
    assert decode_cursor(TICKETS, encode_cursor(1576613539, 467)) == (1576613539, 467)


def test_the_most_recent_minute_is_never_served(client: httpx.Client, sim: Simulator, clock: ManualClock) -> None:
    clock.advance(3600)
    start = int(clock.now()) - 600
    touched = sim.mutate(updates=3)
    clock.advance(30)
    hidden = client.get(TIME, params={"start_time": start}).json()
    assert hidden["count"] == 0 and hidden["end_of_stream"] is True and hidden["end_time"] == start
    clock.advance(31)
    shown = client.get(TIME, params={"start_time": start}).json()
    assert sorted(t["id"] for t in shown["tickets"]) == sorted(touched_ids(touched, "tickets"))
    assert shown["end_of_stream"] is True


def test_end_of_stream_only_on_the_last_page(client: httpx.Client, clock: ManualClock) -> None:
    _items, pages = export(client, TICKETS, Pagination.TIME, per_page=500)
    assert len(pages) > 3
    assert [p["end_of_stream"] for p in pages] == [False] * (len(pages) - 1) + [True]
    assert pages[-1]["end_time"] <= int(clock.now()) - 60


def test_next_page_urls_are_absolute_on_the_simulators_own_host(client: httpx.Client, base_url: str) -> None:
    body = client.get(TIME, params={"start_time": 0, "per_page": 5}).json()
    assert body["next_page"].startswith(f"{base_url}{TIME}?")
    cursor = client.get(TICKETS.cursor_path, params={"start_time": 0, "per_page": 5}).json()
    assert cursor["after_url"].startswith(f"{base_url}{TICKETS.cursor_path}?")
    with httpx.Client(auth=client.auth) as other:
        aliased = other.get(body["next_page"].replace("127.0.0.1", "localhost")).json()
    assert aliased["next_page"].startswith(base_url.replace("127.0.0.1", "localhost"))


def test_tickets_follow_generated_timestamp_not_updated_at(sim: Simulator) -> None:
    tickets = sim.truth("tickets")
    stamps = [t["generated_timestamp"] for t in tickets]
    assert stamps == sorted(stamps)
    assert any(TICKETS.ordering_epoch(t) > USERS.ordering_epoch({"updated_at": t["updated_at"]}) for t in tickets)
    assert all(t["generated_timestamp"] >= USERS.ordering_epoch({"updated_at": t["updated_at"]}) for t in tickets)


def test_deleted_tickets_are_served_unless_excluded(client: httpx.Client, sim: Simulator) -> None:
    deleted = {t["id"] for t in sim.truth("tickets") if t["status"] == "deleted"}
    assert deleted
    served = {t["id"] for t in client.get(TICKETS.cursor_path, params={"start_time": 0}).json()["tickets"]}
    kept = client.get(TICKETS.cursor_path, params={"start_time": 0, "exclude_deleted": "true"}).json()
    assert served & deleted
    assert not {t["id"] for t in kept["tickets"]} & deleted
    assert "exclude_deleted=true" in kept["after_url"]
