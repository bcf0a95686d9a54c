"""Every catalogue endpoint, paged to its end over HTTP, returns exactly the simulator's ground truth."""

from __future__ import annotations

import httpx
import pytest

from zd_pipeline.catalogue import STREAMS, Pagination, WriteMode
from zd_pipeline.simulator import Simulator
from zd_pipeline_tests.simulator.exporting import export, newest_per_id

ENDPOINTS = [(name, p) for name, s in STREAMS.items() for p in s.paginations]


@pytest.mark.parametrize(("name", "pagination"), ENDPOINTS, ids=[f"{n}-{p}" for n, p in ENDPOINTS])
def test_complete_export_equals_truth(client: httpx.Client, sim: Simulator, name: str, pagination: Pagination) -> None:
    stream = STREAMS[name]
    params = {"include": "comment_events"} if stream.sideloads else {}
    items, pages = export(client, stream, pagination, **params)
    truth = sim.truth(name)
    assert len(truth) > 5
    if stream.history_key:  # a change log: every change once (pages may repeat one at their boundary)
        unique = {tuple(item[k] for k in stream.history_key): item for item in items}
        assert sorted(unique.values(), key=lambda r: (stream.ordering_epoch(r), r["id"])) == truth
    elif stream.write_mode is WriteMode.UPSERT:
        assert newest_per_id(stream, items) == truth
    else:
        unique = {item["id"]: item for item in items}
        assert sorted(unique.values(), key=lambda r: (stream.ordering_epoch(r), r["id"])) == truth
    if pagination is Pagination.CURSOR:
        assert items == truth  # cursor pages never repeat
        assert {"after_cursor", "after_url", "before_cursor", "before_url", "end_of_stream"} <= set(pages[0])
    elif pagination is Pagination.TIME:
        assert {"count", "end_time", "next_page", "end_of_stream"} <= set(pages[0])
    else:
        assert "end_of_stream" not in pages[0] and pages[-1]["count"] == 0


def test_paths_work_without_the_json_suffix(client: httpx.Client) -> None:
    response = client.get("/api/v2/incremental/organizations", params={"start_time": 0})
    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_ticket_events_carry_comments_only_when_sideloaded(client: httpx.Client) -> None:
    plain = client.get("/api/v2/incremental/ticket_events.json", params={"start_time": 0, "per_page": 50}).json()
    loaded = client.get(
        "/api/v2/incremental/ticket_events.json",
        params={"start_time": 0, "per_page": 50, "include": "comment_events"},
    ).json()
    plain_children = [c for e in plain["ticket_events"] for c in e["child_events"]]
    loaded_children = [c for e in loaded["ticket_events"] for c in e["child_events"]]
    assert not [c for c in plain_children if c["event_type"] == "Comment"]
    comments = [c for c in loaded_children if c["event_type"] == "Comment"]
    assert comments and all({"body", "public", "author_id", "audit_id"} <= set(c) for c in comments)
    assert all("comment_present" in c and "comment_public" in c for c in plain_children)
    assert any(c["comment_present"] for c in plain_children)


def test_routing_pages_hold_up_to_3000_and_ignore_per_page(client: httpx.Client, sim: Simulator) -> None:
    truth = sim.truth("routing_instance_values")
    first = client.get(
        "/api/v2/incremental/routing/instance_values.json", params={"start_time": 0, "per_page": 5}
    ).json()
    assert first["count"] == min(len(truth), 3000) > 5
    assert "cursor=" in first["next_page"]
    ended = client.get(first["next_page"]).json()
    assert ended["count"] == 0 and ended["instance_values"] == [] and "end_of_stream" not in ended
