"""The generated account is realistic and self-consistent: ids resolve, audits lead to current statuses, every
metric and routing shape appears, and the same seed gives the same account."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator import lifecycle as lc


@pytest.fixture(scope="module")
def account() -> dict[str, list[dict]]:
    sim = Simulator(seed=11, clock=ManualClock(1_790_000_000), rate_limit=None)
    names = [
        "tickets",
        "ticket_events",
        "users",
        "organizations",
        "ticket_metric_events",
        "routing_attributes",
        "routing_attribute_values",
        "routing_instance_values",
    ]
    return {name: sim.truth(name) for name in names}


def test_ticket_references_resolve(account: dict[str, list[dict]]) -> None:
    users = {u["id"]: u for u in account["users"]}
    orgs = {o["id"] for o in account["organizations"]}
    for t in account["tickets"]:
        assert users[t["requester_id"]]["role"] == "end-user"
        assert t["assignee_id"] is None or users[t["assignee_id"]]["role"] in ("agent", "admin")
        assert t["organization_id"] is None or t["organization_id"] in orgs
        assert t["organization_id"] == users[t["requester_id"]]["organization_id"]
    assert {u["role"] for u in users.values()} == {"end-user", "agent", "admin"}
    assert any(not u["active"] for u in users.values())
    assert all(u["organization_id"] is None or u["organization_id"] in orgs for u in users.values())


def test_tickets_look_like_zendesk_tickets(account: dict[str, list[dict]]) -> None:
    tickets = account["tickets"]
    assert {t["status"] for t in tickets} == set(lc.STATUSES)
    assert all({f["id"] for f in t["custom_fields"]} == {360010001, 360010002, 360010003} for t in tickets)
    assert all(t["tags"] and t["via"]["channel"] for t in tickets)
    rated = [t["satisfaction_rating"] for t in tickets if t["status"] in ("solved", "closed")]
    assert {r["score"] for r in rated} >= {"good", "bad"}
    assert all(t["satisfaction_rating"] is None for t in tickets if t["status"] in ("new", "open"))
    assert any(t["problem_id"] for t in tickets) and any(t["due_at"] for t in tickets)


def test_audits_lead_to_each_tickets_current_state(account: dict[str, list[dict]]) -> None:
    tickets = {t["id"]: t for t in account["tickets"]}
    by_ticket: dict[int, list[dict]] = defaultdict(list)
    for event in account["ticket_events"]:
        by_ticket[event["ticket_id"]].append(event)
    assert set(by_ticket) == set(tickets)
    for ticket_id, audits in by_ticket.items():
        audits.sort(key=lambda e: (e["timestamp"], e["id"]))
        create = [c for c in audits[0]["child_events"] if c["event_type"] == "Create"]
        assert {"field_name": "status", "value": "new"}.items() <= next(
            c for c in create if c["field_name"] == "status"
        ).items()
        state: dict[str, object] = {"status": "new"}
        for audit in audits:
            for c in audit["child_events"]:
                if c["event_type"] == "Change":
                    assert c["previous_value"] == state.get(c["field_name"]), (ticket_id, c)
                if c["event_type"] in ("Create", "Change"):
                    state[c["field_name"]] = c["value"]
        ticket = tickets[ticket_id]
        as_text = {k: None if ticket[k] is None else str(ticket[k]) for k in ("group_id", "assignee_id")}
        assert state["status"] == ticket["status"], ticket_id
        assert state["tags"] == ticket["tags"] and state["priority"] == ticket["priority"]
        assert state["group_id"] == as_text["group_id"] and state.get("assignee_id") == as_text["assignee_id"]
        assert audits[-1]["timestamp"] <= ticket["generated_timestamp"]


def test_metric_events_cover_every_kind_with_details(account: dict[str, list[dict]]) -> None:
    events = account["ticket_metric_events"]
    tickets = {t["id"] for t in account["tickets"]}
    assert {e["ticket_id"] for e in events} <= tickets
    assert {(e["metric"], e["type"]) for e in events} == set(lc.METRIC_KINDS)
    assert all("sla" in e and e["sla"]["target"] >= 0 for e in events if e["type"] == "apply_sla")
    assert all(e["status"]["calendar"] >= e["status"]["business"] for e in events if e["type"] == "update_status")
    assert {e["metric"] for e in events} >= {"reply_time", "resolution_time", "requester_wait_time", "agent_work_time"}


def test_reply_breaches_stand_exactly_when_the_first_public_reply_came_late(account: dict[str, list[dict]]) -> None:
    """Every reply target gets its breach scheduled; it is withdrawn when the public reply came by the target."""
    events = [e for e in account["ticket_metric_events"] if e["metric"] == "reply_time"]
    due = {e["ticket_id"]: _epoch(e["time"]) + e["sla"]["target"] * 60 for e in events if e["type"] == "apply_sla"}
    replied = {e["ticket_id"]: _epoch(e["time"]) for e in events if e["type"] == "fulfill"}
    breaches = {e["ticket_id"]: e for e in events if e["type"] == "breach"}
    for ticket_id, breach in breaches.items():
        assert _epoch(breach["time"]) == due[ticket_id]
        assert breach["deleted"] == (ticket_id in replied and replied[ticket_id] <= due[ticket_id]), ticket_id
    standing = sum(not b["deleted"] for b in breaches.values())
    assert 0.05 < standing / len(due) < 0.6, standing / len(due)
    assert 0 < len(replied) < len(due)  # some tickets are never answered publicly


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_routing_events_are_changes_of_objects_named_by_their_id(account: dict[str, list[dict]]) -> None:
    attributes, values, instances = (
        account[n] for n in ("routing_attributes", "routing_attribute_values", "routing_instance_values")
    )
    for event in [*attributes, *values, *instances]:
        uuid.UUID(event["id"])
    assert {e["type"] for e in attributes} == {"create", "update", "delete"}
    assert {e["type"] for e in values} == {"create", "update", "delete"}
    assert {e["type"] for e in instances} == {
        "associate_agent",
        "unassociate_agent",
        "associate_ticket",
        "unassociate_ticket",
    }
    for events in (attributes, values, instances):
        keys = [(_epoch(e["time"]), e["id"]) for e in events]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)  # export order, (time, id) unique
    changes: dict[str, list[str]] = defaultdict(list)
    for event in [*attributes, *values, *instances]:
        changes[event["id"]].append(event["type"])
    assert all(types[0] in ("create", "associate_agent", "associate_ticket") for types in changes.values())
    assert any(types == ["create", "update", "update"] for types in changes.values())  # renamed twice
    assert any(types == ["associate_agent", "unassociate_agent", "associate_agent"] for types in changes.values())
    assert any(types == ["associate_ticket", "unassociate_ticket"] for types in changes.values())
    renamed = [e for e in attributes if e["type"] == "update"]
    assert all(
        e["name"] != a["name"] for e in renamed for a in attributes if a["id"] == e["id"] and a["type"] == "create"
    )
    assert {e["attribute_id"] for e in values} <= {e["id"] for e in attributes}
    assert {e["attribute_value_id"] for e in instances} <= {e["id"] for e in values}


def test_the_same_seed_gives_the_same_account_and_another_seed_another() -> None:
    clock_start = 1_790_000_000
    one = Simulator(seed=5, clock=ManualClock(clock_start), rate_limit=None)
    two = Simulator(seed=5, clock=ManualClock(clock_start), rate_limit=None)
    other = Simulator(seed=6, clock=ManualClock(clock_start), rate_limit=None)
    assert one.truth("tickets") == two.truth("tickets")
    assert one.truth("ticket_events") == two.truth("ticket_events")
    assert one.truth("tickets") != other.truth("tickets")


def test_history_ends_minutes_before_now_and_spans_the_last_90_days(account: dict[str, list[dict]]) -> None:
    stamps = [t["generated_timestamp"] for t in account["tickets"]]
    assert min(stamps) > 1_790_000_000 - 90 * 86_400 and max(stamps) <= 1_790_000_000 - 300
