"""Tickets, their audits (ticket events) and their metric events as Zendesk returns them, rendered by position.

Ticket event records are rendered *with* their Comment child events; :func:`strip_comments` gives the shape
served without ``include=comment_events`` (the comment then shows only as ``comment_present`` /
``comment_public`` on the other child events, as Zendesk documents). Change values are strings or null, as in
Zendesk's ticket events (ids too); ``tags`` values are lists.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import orjson

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import service_levels
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.isotime import iso as to_iso
from zd_pipeline.simulator.metric_story import derive
from zd_pipeline.simulator.scales import Scale
from zd_pipeline.simulator.ticket_bytes import tickets_json
from zd_pipeline.simulator.ticket_facts import FactBook, TicketFacts, ticket_columns
from zd_pipeline.simulator.ticket_layout import EVENT_ID_BASE, EVENT_ID_STRIDE, METRIC_ID_BASE, TicketLayout


@lru_cache(maxsize=64)
def via(channel: str) -> dict[str, Any]:
    """The ``via`` object of a channel; shared between records (treat rendered records as read-only)."""
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


def strip_comments(audit: dict[str, Any]) -> dict[str, Any]:
    """The audit as served without ``include=comment_events``: Comment child events removed."""
    children = audit["child_events"]
    if not any(c["event_type"] == "Comment" for c in children):
        return audit
    return {**audit, "child_events": [c for c in children if c["event_type"] != "Comment"]}


def child(audit_id: int, j: int, channel: str, event_type: str, field: str, value: Any, previous: Any = None) -> dict:
    event = {"id": audit_id + 1 + j, "via": via(channel), "via_reference_id": None, "event_type": event_type}
    event["field_name"] = field
    event["value"] = value
    if event_type == "Change":
        event["previous_value"] = previous
    return event


def comment(audit_id: int, j: int, author: int, body: str, public: bool, created_at: str, channel: str) -> dict:
    return {
        "id": audit_id + 1 + j,
        "via": via(channel),
        "via_reference_id": None,
        "type": "Comment",
        "event_type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": f'<div class="zd-comment"><p dir="auto">{body}</p></div>',
        "public": public,
        "attachments": [],
        "audit_id": audit_id,
        "created_at": created_at,
    }


def flag_comments(children: list[dict[str, Any]], present: bool, public: bool) -> list[dict[str, Any]]:
    for c in children:
        if c["event_type"] != "Comment":
            c["comment_present"], c["comment_public"] = present, public
    return children


def audit_record(ticket_id: int, audit_id: int, ts: int, updater: int, channel: str, children: list) -> dict:
    return {
        "id": audit_id,
        "ticket_id": ticket_id,
        "timestamp": ts,
        "created_at": to_iso(ts),
        "updater_id": updater,
        "via": via(channel),
        "event_type": "Audit",
        "merged_ticket_ids": [],
        "system": {"client": "Mozilla/5.0", "ip_address": "203.0.113.7", "location": "Copenhagen, 84, Denmark"},
        "child_events": children,
    }


class TicketRenderer:
    """Renders the three ticket-derived streams from a :class:`TicketLayout`."""

    def __init__(self, seed: int, scale: Scale, layout: TicketLayout) -> None:
        self.layout = layout
        self.book = FactBook(seed, scale, layout)

    def tickets_json_at(self, positions: list[int]) -> list[bytes]:
        """Tickets at stream ``positions`` as JSON bytes (the fast path; see :mod:`ticket_bytes`)."""
        if not positions:
            return []
        indices = self.layout.order[positions].tolist()
        return tickets_json(ticket_columns(self.book.seed, self.book.scale, self.layout, indices))

    def tickets_at(self, positions: list[int]) -> list[dict[str, Any]]:
        return [orjson.loads(doc) for doc in self.tickets_json_at(positions)]

    def audits_at(self, positions: list[int]) -> list[dict[str, Any]]:
        t = self.layout
        tickets = [int(t.ev_ticket[p]) for p in positions]
        facts = self.book.facts(tickets)
        return [
            self.audit(facts[i], int(t.ev_k[p]), int(t.ev_ts[p]), EVENT_ID_BASE + p * EVENT_ID_STRIDE)
            for p, i in zip(positions, tickets, strict=True)
        ]

    def audit(self, f: TicketFacts, k: int, ts: int, audit_id: int) -> dict[str, Any]:
        """Audit ``k`` of a ticket: Create (k=0), regular updates, or the bulk update (k = n_regular)."""
        created_at = to_iso(ts)
        if k >= f.n_regular:
            changes = [child(audit_id, 0, "web", "Change", "tags", list(f.tags), list(f.first_tags))]
            return audit_record(f.id, audit_id, ts, f.admin, "web", flag_comments(changes, False, False))
        if k == 0:
            children = [
                comment(audit_id, 0, f.requester, f"{f.subject}. Ticket reference {f.id}.", True, created_at, f.channel)
            ]
            fields = (
                ("subject", f.subject),
                ("status", "new"),
                ("priority", f.first_priority),
                ("group_id", str(f.first_group_id)),
                ("requester_id", str(f.requester)),
                ("tags", list(f.first_tags)),
            )
            children += [child(audit_id, j, f.channel, "Create", name, val) for j, (name, val) in enumerate(fields, 1)]
            return audit_record(f.id, audit_id, ts, f.requester, f.channel, flag_comments(children, True, True))
        updater, public = f.assignee, bool(f.public_bits >> k & 1)
        body = v.COMMENTS[(f.comment_draw >> (k % 8)) % len(v.COMMENTS)]
        if f.variant == lc.REOPENED and k == lc.REOPEN_AUDIT:
            updater, public, body = f.requester, True, "That did not fix it, the problem is back."
        elif f.variant == lc.MERGED and k == f.n_regular - 1:
            body = f"Request #{f.id} was closed and merged into request #{merge_target(f)}."
        children = [comment(audit_id, 0, updater, body, public, created_at, "web")]
        before, after = f.status_after(k - 1), f.status_after(k)
        if after != before:
            children.append(child(audit_id, len(children), "web", "Change", "status", after, before))
        if k == 1:
            children.append(child(audit_id, len(children), "web", "Change", "assignee_id", str(f.assignee), None))
            if f.priority != f.first_priority:
                children.append(
                    child(audit_id, len(children), "web", "Change", "priority", f.priority, f.first_priority)
                )
            if f.group_id != f.first_group_id:
                previous = str(f.first_group_id)
                children.append(child(audit_id, len(children), "web", "Change", "group_id", str(f.group_id), previous))
        return audit_record(f.id, audit_id, ts, updater, "web", flag_comments(children, True, public))

    def metric_events_at(self, positions: list[int]) -> list[dict[str, Any]]:
        """Metric events at stream ``positions``; ``status`` and ``deleted`` come from re-deriving their tickets'
        stories (:mod:`metric_story`), the same derivation that laid the events out."""
        t = self.layout
        tickets = t.me_ticket[positions].astype(np.int64)
        unique = np.unique(tickets)
        story = derive(t.story_input(unique))
        details = {
            (int(unique[row]), int(code), int(ts)): (int(cal), int(bus), bool(deleted))
            for row, code, ts, cal, bus, deleted in zip(
                story.row, story.code, story.ts, story.calendar, story.business, story.deleted, strict=True
            )
            if code in _DETAILED
        }
        out = []
        for p, i in zip(positions, tickets.tolist(), strict=True):
            code, ts = int(t.me_code[p]), int(t.me_ts[p])
            metric, kind = lc.METRIC_KINDS[code]
            cal, bus, deleted = details.get((i, code, ts), (0, 0, False))
            status = {"calendar": cal, "business": bus} if kind == "update_status" else None
            priority = int(t.priority[i])
            out.append(metric_event_record(METRIC_ID_BASE + p, i + 1, metric, kind, ts, priority, status, deleted))
        return out


_DETAILED = frozenset(code for code, (_, kind) in enumerate(lc.METRIC_KINDS) if kind in ("update_status", "breach"))


def merge_target(f: TicketFacts) -> int:
    """The earlier ticket a MERGED ticket was merged into."""
    return max(f.id - 1 - f.comment_draw % 100, 1) if f.id > 1 else 2


def metric_event_record(
    event_id: int,
    ticket_id: int,
    metric: str,
    kind: str,
    ts: int,
    priority: int,
    status: dict[str, int] | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    """One ticket metric event; ``sla`` on apply_sla, ``status`` on update_status, ``deleted`` on breach."""
    record: dict[str, Any] = {
        "id": event_id,
        "ticket_id": ticket_id,
        "metric": metric,
        "instance_id": 1,
        "type": kind,
        "time": to_iso(ts),
    }
    if kind == "apply_sla":
        targets = lc.REPLY_TARGET_MINUTES if metric == "reply_time" else lc.RESOLUTION_TARGET_MINUTES
        policy = service_levels.policy_for(lc.PRIORITIES[priority])
        record["sla"] = {
            "target": targets[priority],
            "business_hours": policy.business_hours,
            "policy": {"id": policy.id, "title": policy.title, "description": policy.description},
        }
    elif kind == "update_status":
        record["status"] = status if status is not None else {"calendar": 0, "business": 0}
    elif kind == "breach":
        record["deleted"] = deleted
    return record
