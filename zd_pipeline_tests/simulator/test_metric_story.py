"""The simulator's ticket metric events follow from its audits as Zendesk derives them: recomputed here from the
served audits alone, in plain Python, and compared event for event (time, status minutes, withdrawn breaches)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator import service_levels as sl

NOW = 1_790_000_000
ACTIVE = {"agent_work_time": ("new", "open"), "requester_wait_time": ("new", "open", "hold")}
DONE = ("solved", "closed")


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _minutes(start: int, end: int) -> tuple[int, int]:
    return (end - start) // 60, int(sl.business_minutes(start, end))


@pytest.fixture(scope="module")
def account() -> dict[str, list[dict]]:
    sim = Simulator(scale="small", seed=5, clock=ManualClock(NOW), rate_limit=None)
    return {name: sim.truth(name) for name in ("tickets", "ticket_events", "ticket_metric_events", "users")}


def _expected_from_audits(ticket: dict, audits: list[dict], agents: set[int]) -> set[tuple]:
    """(metric, type, time, status) of every clock event the audits imply (breaches are checked apart)."""
    created = _epoch(ticket["created_at"])
    out = {(m, "activate", created, None) for m in (*ACTIVE, "reply_time", "resolution_time", "pausable_update_time")}
    status, replied, since = "new", False, dict.fromkeys(ACTIVE, created)
    spent = {m: [0, 0] for m in ACTIVE}
    for audit in audits:
        t = audit["timestamp"]
        children = audit["child_events"]
        public_agent = any(c["event_type"] == "Comment" and c["public"] and c["author_id"] in agents for c in children)
        if public_agent and not replied and audit["updater_id"] in agents:
            replied = True
            out |= {("reply_time", "fulfill", t, None), ("reply_time", "update_status", t, _minutes(created, t))}
        new = next(
            (c["value"] for c in children if c.get("field_name") == "status" and c["event_type"] == "Change"), status
        )
        if new == status:
            continue
        solve = new in DONE and status not in DONE
        for metric, active in ACTIVE.items():
            if status in active and new not in active:
                spent[metric][0] += t - since[metric]
                spent[metric][1] += int(sl.business_seconds_before(t) - sl.business_seconds_before(since[metric]))
                if not solve and new != "deleted":
                    out.add((metric, "pause", t, None))
            if solve:
                total = (spent[metric][0] // 60, spent[metric][1] // 60)
                out |= {(metric, "fulfill", t, None), (metric, "update_status", t, total)}
            if status not in active and new in active:
                out.add((metric, "activate", t, None))
                since[metric] = t
        if solve:
            out |= {
                ("resolution_time", "fulfill", t, None),
                ("resolution_time", "update_status", t, _minutes(created, t)),
            }
        if status in DONE and new not in DONE and new != "deleted":
            out.add(("resolution_time", "activate", t, None))
        status = new
    return out


def test_metric_events_follow_from_the_audits(account: dict[str, list[dict]]) -> None:
    agents = {u["id"] for u in account["users"] if u["role"] in ("agent", "admin")}
    audits: dict[int, list[dict]] = defaultdict(list)
    for audit in sorted(account["ticket_events"], key=lambda a: (a["timestamp"], a["id"])):
        audits[audit["ticket_id"]].append(audit)
    served: dict[int, set[tuple]] = defaultdict(set)
    for e in account["ticket_metric_events"]:
        if e["type"] not in ("apply_sla", "breach"):
            status = None if e["type"] != "update_status" else (e["status"]["calendar"], e["status"]["business"])
            served[e["ticket_id"]].add((e["metric"], e["type"], _epoch(e["time"]), status))
    for ticket in account["tickets"]:
        expected = _expected_from_audits(ticket, audits[ticket["id"]], agents)
        assert served[ticket["id"]] == expected, ticket["id"]


def test_breaches_are_scheduled_at_the_target_and_withdrawn_when_met(account: dict[str, list[dict]]) -> None:
    by_ticket: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for e in account["ticket_metric_events"]:
        by_ticket[(e["ticket_id"], e["metric"])].append(e)
    latest = max(_epoch(e["time"]) for e in account["ticket_metric_events"])
    checked = {"reply_time": 0, "resolution_time": 0}
    for (_, metric), events in by_ticket.items():
        sla = [e for e in events if e["type"] == "apply_sla"]
        if not sla:
            continue
        due = _epoch(sla[0]["time"]) + sla[0]["sla"]["target"] * 60
        clock = sorted(
            (e for e in events if e["type"] in ("activate", "fulfill")), key=lambda e: (e["time"], e["type"])
        )
        fulfilled = clock[-1]["type"] == "fulfill" and _epoch(clock[-1]["time"]) <= due
        breaches = [e for e in events if e["type"] == "breach"]
        assert len(breaches) == (1 if due <= latest else 0) or due > NOW
        for breach in breaches:
            assert _epoch(breach["time"]) == due and breach["deleted"] == fulfilled
            checked[metric] += 1
    assert checked["reply_time"] > 100 and checked["resolution_time"] > 100


def test_reopened_and_merged_tickets_exist(account: dict[str, list[dict]]) -> None:
    reopened = merged = 0
    for audit in account["ticket_events"]:
        for c in audit["child_events"]:
            if c.get("field_name") == "status" and c.get("previous_value") == "solved" and c["value"] == "open":
                reopened += 1
            if c["event_type"] == "Comment" and "closed and merged into" in c["body"]:
                assert not c["public"]
                merged += 1
    assert reopened > 10 and merged > 10


def test_business_minutes_follow_the_schedule_and_its_holidays() -> None:
    def at(*args: int) -> int:
        return int(datetime(*args, tzinfo=UTC).timestamp())

    assert sl.business_minutes(at(2024, 3, 4, 8), at(2024, 3, 4, 18)) == 480  # a Monday, 09-17
    assert sl.business_minutes(at(2024, 3, 8, 16), at(2024, 3, 11, 10)) == 120  # Friday 16:00 to Monday 10:00
    assert sl.business_minutes(at(2024, 12, 24), at(2024, 12, 28)) == 960  # Christmas and Boxing Day off
    assert sl.business_minutes(at(2024, 12, 25, 10), at(2024, 12, 25, 12)) == 0
