"""A small, hand-designed Zendesk account whose analytics are known, loaded through the real warehouse path.

The story is plain data: who updated which ticket when and what changed (:data:`UPDATES`), the tickets' final
state (replayed from the story, plus the facts no audit carries: a deletion, a ticket whose audits we do not hold),
and the metric events Zendesk would compute (:data:`METRIC_EVENTS`). :func:`records` turns it into Zendesk-shaped
records; :func:`load` applies them with ``Warehouse.apply_page``, the path users take. Tests compute the expected
analytics from the story itself, never from the SQL.

Cast: agents 100 and 101, admin 102, end users 200-202, system -1; groups 10 and 20. Days D0..D3 from Mon
2024-03-04 UTC.
- T1: assigned to 100/10, replied in 30 min (SLA met), pending, reopened by the requester, solved D1; rated good.
- T2: reply SLA breached D0, resolution SLA breached D1; reassigned 101 → 100 and group 10 → 20; solved D2,
  reopened and solved again D3 (first ≠ full resolution); rated bad.
- T3: policy changed after apply; a breach Zendesk withdrew (``deleted: true``); put on hold; a system update;
  survey offered.
- T4: created D2, deleted D3 with no audit (tickets table only); its breach must not count.
- T5: closed, with no audits at all (history from before the sync start).
- T6: replied in 45 min, pending 11:00-13:00, solved D2 14:00; its metric events are clock events only (activate,
  pause, fulfill; no update_status), so its times must be measured from them.
- T7: a private note at 09:10, the public reply at 10:00 (the first reply: 60 min, not 10); solved 11:00. Its reply
  breach was scheduled for 10:30 and not flagged withdrawn, but the reply came first: not a breach.
- T8: closed by a merge into T7 at D3 12:30 with a private note: no reply, never solved, resolved in 30 min.
- T9: open, its resolution breach scheduled far in the future: not a breach (yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from zd_pipeline.catalogue import STREAMS, to_iso
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.warehouse import Warehouse

from . import reference_scenario

D0 = datetime(2024, 3, 4, tzinfo=UTC)
SYSTEM = -1
AGENTS = {100: "agent", 101: "agent", 102: "admin"}
END_USERS = (200, 201, 202)
TRACKED_FIELDS = ("status", "priority", "assignee_id", "group_id")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return D0 + timedelta(days=day, hours=hour, minutes=minute)


@dataclass(frozen=True)
class Update:
    """One audit: ``by`` set ``changes`` on ``ticket`` at ``when``; the first update of a ticket creates it."""

    ticket: int
    when: datetime
    by: int
    changes: dict[str, Any]
    comment: bool = False
    public: bool = True


UPDATES: tuple[Update, ...] = (
    Update(1, at(0, 9), 200, {"status": "new", "priority": "normal", "assignee_id": None, "group_id": None}, True),
    Update(1, at(0, 9, 5), 100, {"assignee_id": 100, "group_id": 10, "status": "open"}),
    Update(1, at(0, 9, 30), 100, {"status": "pending"}, True),
    Update(1, at(1, 10), 200, {"status": "open"}, True),
    Update(1, at(1, 11), 100, {"status": "solved"}, True),
    Update(1, at(1, 12), 200, {"satisfaction_score": "good"}),
    Update(2, at(0, 10), 201, {"status": "new", "priority": "high", "group_id": 10, "assignee_id": None}, True),
    Update(2, at(1, 8), 101, {"assignee_id": 101, "status": "open"}, True),
    Update(2, at(2, 9), 102, {"assignee_id": 100, "group_id": 20}),
    Update(2, at(2, 12), 100, {"status": "solved"}, True),
    Update(2, at(3, 9), 201, {"status": "open"}, True),
    Update(2, at(3, 15), 100, {"status": "solved"}, True),
    Update(2, at(3, 16), 201, {"satisfaction_score": "bad"}),
    Update(3, at(1, 12), 202, {"status": "new", "priority": "urgent", "assignee_id": None, "group_id": None}, True),
    Update(3, at(1, 12, 20), 101, {"status": "open", "assignee_id": 101, "group_id": 20}, True),
    Update(3, at(2, 10), 101, {"status": "hold"}),
    Update(3, at(2, 10, 5), SYSTEM, {"priority": "high"}),
    Update(4, at(2, 8), 200, {"status": "new", "priority": "low", "assignee_id": None, "group_id": None}, True),
    Update(6, at(2, 9), 201, {"status": "new", "priority": "normal", "assignee_id": None, "group_id": None}, True),
    Update(6, at(2, 9, 45), 101, {"status": "open", "assignee_id": 101, "group_id": 20}, True),
    Update(6, at(2, 11), 101, {"status": "pending"}, True),
    Update(6, at(2, 13), 201, {"status": "open"}, True),
    Update(6, at(2, 14), 101, {"status": "solved"}, True),
    Update(7, at(3, 9), 202, {"status": "new", "priority": "normal", "assignee_id": None, "group_id": None}, True),
    Update(7, at(3, 9, 10), 100, {"status": "open", "assignee_id": 100, "group_id": 10}, True, public=False),
    Update(7, at(3, 10), 100, {}, True),
    Update(7, at(3, 11), 100, {"status": "solved"}, True),
    Update(8, at(3, 12), 200, {"status": "new", "priority": "low", "assignee_id": None, "group_id": None}, True),
    Update(8, at(3, 12, 30), 101, {"status": "closed", "assignee_id": 101, "group_id": 20}, True, public=False),
    Update(9, at(3, 13), 201, {"status": "new", "priority": "urgent", "assignee_id": None, "group_id": None}, True),
    Update(9, at(3, 13, 5), 101, {"status": "open", "assignee_id": 101, "group_id": 20}, True),
)
FUTURE = datetime(2099, 1, 1, tzinfo=UTC)

# Facts no audit carries: T4 was deleted at D3 14:00; T5 predates the synced history.
DELETED_AT = {4: at(3, 14)}
UNAUDITED_TICKETS: dict[int, dict[str, Any]] = {
    5: {
        "status": "closed",
        "priority": "normal",
        "assignee_id": 100,
        "group_id": 10,
        "requester_id": 200,
        "created_at": at(0, 7),
        "updated_at": at(0, 8),
        "satisfaction_rating": {"score": "unoffered"},
    }
}
SATISFACTION = {1: "good", 2: "bad", 3: "offered"}
REQUESTERS = {1: 200, 2: 201, 3: 202, 4: 200, 6: 201, 7: 202, 8: 200, 9: 201}


@dataclass(frozen=True)
class MetricEvent:
    ticket: int
    metric: str
    instance: int
    type: str
    when: datetime
    sla: dict[str, Any] | None = None
    status: dict[str, int] | None = None
    deleted: bool = False


def _sla(policy: int, title: str, target: int, business: bool = False) -> dict[str, Any]:
    return {"target": target, "business_hours": business, "policy": {"id": policy, "title": title}}


STANDARD, VIP, VIP_PLUS = (1, "Standard"), (2, "VIP"), (3, "VIP Plus")

METRIC_EVENTS: tuple[MetricEvent, ...] = (
    # T1: first reply in 30 min against a 60 min target; a second reply; solved D1 11:00.
    MetricEvent(1, "reply_time", 1, "activate", at(0, 9)),
    MetricEvent(1, "reply_time", 1, "apply_sla", at(0, 9), sla=_sla(*STANDARD, 60)),
    MetricEvent(1, "reply_time", 1, "fulfill", at(0, 9, 30)),
    MetricEvent(1, "reply_time", 1, "update_status", at(0, 9, 30), status={"calendar": 30, "business": 30}),
    MetricEvent(1, "reply_time", 2, "activate", at(1, 10)),
    MetricEvent(1, "reply_time", 2, "update_status", at(1, 11), status={"calendar": 60, "business": 60}),
    MetricEvent(1, "resolution_time", 1, "update_status", at(1, 11), status={"calendar": 1560, "business": 600}),
    MetricEvent(1, "requester_wait_time", 1, "update_status", at(1, 11), status={"calendar": 90, "business": 90}),
    MetricEvent(1, "agent_work_time", 1, "update_status", at(1, 11), status={"calendar": 85, "business": 85}),
    # T2: reply target breached at D0 11:00 (reply came D1 08:00); resolution target breached D1 10:00.
    MetricEvent(2, "reply_time", 1, "activate", at(0, 10)),
    MetricEvent(2, "reply_time", 1, "apply_sla", at(0, 10), sla=_sla(*STANDARD, 60)),
    MetricEvent(2, "resolution_time", 1, "apply_sla", at(0, 10), sla=_sla(*STANDARD, 1440)),
    MetricEvent(2, "reply_time", 1, "breach", at(0, 11)),
    MetricEvent(2, "reply_time", 1, "update_status", at(1, 8), status={"calendar": 1320, "business": 480}),
    MetricEvent(2, "resolution_time", 1, "breach", at(1, 10)),
    MetricEvent(2, "resolution_time", 1, "update_status", at(2, 12), status={"calendar": 3000, "business": 900}),
    MetricEvent(2, "requester_wait_time", 1, "update_status", at(2, 12), status={"calendar": 3000, "business": 900}),
    MetricEvent(2, "resolution_time", 1, "update_status", at(3, 15), status={"calendar": 4740, "business": 1260}),
    MetricEvent(2, "requester_wait_time", 1, "update_status", at(3, 15), status={"calendar": 3360, "business": 1260}),
    MetricEvent(2, "agent_work_time", 1, "update_status", at(3, 15), status={"calendar": 3300, "business": 1200}),
    # T3: VIP applied, then changed to VIP Plus (45 min); a breach Zendesk withdrew; replied in 20 min.
    MetricEvent(3, "reply_time", 1, "activate", at(1, 12)),
    MetricEvent(3, "reply_time", 1, "apply_sla", at(1, 12), sla=_sla(*VIP, 15, True)),
    MetricEvent(3, "reply_time", 1, "apply_sla", at(1, 12, 10), sla=_sla(*VIP_PLUS, 45, True)),
    MetricEvent(3, "reply_time", 1, "breach", at(1, 12, 15), deleted=True),
    MetricEvent(3, "reply_time", 1, "update_status", at(1, 12, 20), status={"calendar": 20, "business": 20}),
    # T4 (deleted later): breached, but a deleted ticket's SLA does not count.
    MetricEvent(4, "reply_time", 1, "apply_sla", at(2, 8), sla=_sla(*STANDARD, 60)),
    MetricEvent(4, "reply_time", 1, "breach", at(2, 9)),
    # T6: clock events only, no update_status: times are measured from activate / pause / fulfill.
    MetricEvent(6, "reply_time", 1, "activate", at(2, 9)),
    MetricEvent(6, "resolution_time", 1, "activate", at(2, 9)),
    MetricEvent(6, "agent_work_time", 1, "activate", at(2, 9)),
    MetricEvent(6, "requester_wait_time", 1, "activate", at(2, 9)),
    MetricEvent(6, "reply_time", 1, "fulfill", at(2, 9, 45)),
    MetricEvent(6, "agent_work_time", 1, "pause", at(2, 11)),
    MetricEvent(6, "requester_wait_time", 1, "pause", at(2, 11)),
    MetricEvent(6, "agent_work_time", 1, "activate", at(2, 13)),
    MetricEvent(6, "requester_wait_time", 1, "activate", at(2, 13)),
    MetricEvent(6, "resolution_time", 1, "fulfill", at(2, 14)),
    MetricEvent(6, "agent_work_time", 1, "fulfill", at(2, 14)),
    MetricEvent(6, "requester_wait_time", 1, "fulfill", at(2, 14)),
    # T7: the private note at 09:10 fulfils nothing; the public reply at 10:00 does, before the 10:30 breach.
    MetricEvent(7, "reply_time", 1, "activate", at(3, 9)),
    MetricEvent(7, "reply_time", 1, "apply_sla", at(3, 9), sla=_sla(*STANDARD, 90)),
    MetricEvent(7, "reply_time", 1, "fulfill", at(3, 10)),
    MetricEvent(7, "reply_time", 1, "update_status", at(3, 10), status={"calendar": 60, "business": 60}),
    MetricEvent(7, "reply_time", 1, "breach", at(3, 10, 30)),
    MetricEvent(7, "resolution_time", 1, "update_status", at(3, 11), status={"calendar": 120, "business": 120}),
    # T8: closed by a merge: resolution fulfilled, reply never.
    MetricEvent(8, "reply_time", 1, "activate", at(3, 12)),
    MetricEvent(8, "resolution_time", 1, "activate", at(3, 12)),
    MetricEvent(8, "resolution_time", 1, "fulfill", at(3, 12, 30)),
    MetricEvent(8, "resolution_time", 1, "update_status", at(3, 12, 30), status={"calendar": 30, "business": 30}),
    # T9: a resolution breach Zendesk scheduled ahead, still in the future.
    MetricEvent(9, "resolution_time", 1, "activate", at(3, 13)),
    MetricEvent(
        9, "resolution_time", 1, "apply_sla", at(3, 13), sla=_sla(*VIP, int((FUTURE - at(3, 13)).total_seconds()) // 60)
    ),
    MetricEvent(9, "resolution_time", 1, "breach", FUTURE),
)


@dataclass
class Replay:
    """The story replayed: each ticket's state after every update, and the field changes as Zendesk logs them."""

    state: dict[int, dict[str, Any]] = field(default_factory=dict)
    created: dict[int, datetime] = field(default_factory=dict)
    updated: dict[int, datetime] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)  # one per child event, in story order


def replay(updates: tuple[Update, ...] = UPDATES) -> Replay:
    result = Replay()
    for update in sorted(updates, key=lambda u: u.when):
        first = update.ticket not in result.state
        state = result.state.setdefault(update.ticket, {})
        result.created.setdefault(update.ticket, update.when)
        result.updated[update.ticket] = update.when
        for name, value in update.changes.items():
            result.changes.append(
                {
                    "ticket": update.ticket,
                    "field": name,
                    "value": value,
                    "previous": None if first else state.get(name),
                    "when": update.when,
                    "by": update.by,
                    "event_type": "Create" if first else "Change",
                }
            )
            state[name] = value
    return result


def records() -> dict[str, list[dict[str, Any]]]:
    """Zendesk-shaped records per stream."""
    story = replay()
    return {
        "users": _users(),
        "tickets": _tickets(story),
        "ticket_events": _audits(story),
        "ticket_metric_events": _metric_events(),
    }


def _users() -> list[dict[str, Any]]:
    people = [(uid, role) for uid, role in AGENTS.items()] + [(uid, "end-user") for uid in END_USERS]
    return [
        {
            "id": uid,
            "name": f"user {uid}",
            "role": role,
            "active": True,
            "created_at": to_iso(int(D0.timestamp())),
            "updated_at": to_iso(int(D0.timestamp())),
        }
        for uid, role in people
    ]


def _tickets(story: Replay) -> list[dict[str, Any]]:
    tickets = []
    for ticket, state in story.state.items():
        updated = DELETED_AT.get(ticket, story.updated[ticket])
        rating = SATISFACTION.get(ticket)
        tickets.append(
            _ticket(
                ticket,
                status="deleted" if ticket in DELETED_AT else state["status"],
                priority=state["priority"],
                assignee_id=state["assignee_id"],
                group_id=state["group_id"],
                requester_id=REQUESTERS[ticket],
                created_at=story.created[ticket],
                updated_at=updated,
                satisfaction_rating={"score": rating} if rating else None,
            )
        )
    tickets.extend(_ticket(ticket, **facts) for ticket, facts in UNAUDITED_TICKETS.items())
    return tickets


def _ticket(ticket: int, *, created_at: datetime, updated_at: datetime, **fields: Any) -> dict[str, Any]:
    epoch = int(updated_at.timestamp())
    return {
        "id": ticket,
        "subject": f"ticket {ticket}",
        "created_at": to_iso(int(created_at.timestamp())),
        "updated_at": to_iso(epoch),
        "generated_timestamp": epoch,
        "custom_fields": reference_scenario.CUSTOM_FIELDS.get(ticket, []),
        **fields,
    }


def _audits(story: Replay) -> list[dict[str, Any]]:
    audits = []
    changes = iter(story.changes)
    for number, update in enumerate(sorted(UPDATES, key=lambda u: u.when), start=1):
        children = []
        for _ in update.changes:
            change = next(changes)
            child = {
                "id": number * 100 + len(children),
                "event_type": change["event_type"],
                "field_name": change["field"],
                "value": change["value"],
            }
            if change["event_type"] == "Change":
                child["previous_value"] = change["previous"]
            children.append(child)
        if update.comment:
            children.append(
                {
                    "id": number * 100 + 99,
                    "event_type": "Comment",
                    "public": update.public,
                    "author_id": update.by,
                    "body": "…",
                }
            )
        epoch = int(update.when.timestamp())
        audits.append(
            {
                "id": number,
                "ticket_id": update.ticket,
                "timestamp": epoch,
                "created_at": to_iso(epoch),
                "updater_id": update.by,
                "via": {"channel": "web"},
                "event_type": "Audit",
                "child_events": children,
            }
        )
    return audits


def _metric_events() -> list[dict[str, Any]]:
    events = []
    for number, event in enumerate(METRIC_EVENTS, start=1):
        record: dict[str, Any] = {
            "id": 5000 + number,
            "ticket_id": event.ticket,
            "metric": event.metric,
            "instance_id": event.instance,
            "type": event.type,
            "time": to_iso(int(event.when.timestamp())),
        }
        if event.sla is not None:
            record["sla"] = event.sla
        if event.status is not None:
            record["status"] = event.status
        if event.deleted:
            record["deleted"] = True
        events.append(record)
    return events


def load(
    warehouse: Warehouse, data: dict[str, list[dict[str, Any]]] | None = None, window_end: int | None = None
) -> None:
    """Apply every stream's records as one page each, with a completed checkpoint, through ``apply_page``."""
    warehouse.ensure_tables()
    end = window_end if window_end is not None else int((D0 + timedelta(days=5)).timestamp())
    for name, stream_records in (data or records()).items():
        checkpoint = Checkpoint(
            stream=name, window_start=0, window_end=end, resume=ResumePoint(start_time=end), complete=True
        )
        warehouse.apply_page(STREAMS[name], stream_records, checkpoint)
    if data is None:
        reference_scenario.load(warehouse)
