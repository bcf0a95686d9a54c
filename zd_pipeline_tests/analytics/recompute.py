"""The analytics tables recomputed from the raw records in plain Python, one function per table, for an exact
comparison with the SQL on a simulated account. Each follows the definition its SQL module's docstring states;
times are epoch seconds, rows keyed by the table's grain."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

Records = dict[str, list[dict[str, Any]]]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def day_of(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _live(data: Records) -> dict[int, dict[str, Any]]:
    return {t["id"]: t for t in data["tickets"] if t["status"] != "deleted"}


def _by_ticket(events: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (epoch(e["time"]), e["id"])):
        out[e["ticket_id"]].append(e)
    return out


def reply_times(data: Records) -> dict[int, dict[str, Any]]:
    """ticket_id -> the measured columns of ``ticket_reply_times`` (update_status first, clock events otherwise)."""
    events = _by_ticket(data["ticket_metric_events"])
    out = {}
    for ticket_id in _live(data):
        mine = events.get(ticket_id, [])

        def updates(metric: str, instance: int | None = None, mine=mine) -> list[dict[str, Any]]:
            return [
                e
                for e in mine
                if e["metric"] == metric
                and e["type"] == "update_status"
                and e.get("status")
                and (instance is None or e["instance_id"] == instance)
            ]

        def times(metric: str, kind: str, instance: int | None = None, mine=mine) -> list[int]:
            return [
                epoch(e["time"])
                for e in mine
                if e["metric"] == metric and e["type"] == kind and (instance is None or e["instance_id"] == instance)
            ]

        def pick(found: list[dict[str, Any]], index: int) -> tuple[int | None, float | None, float | None]:
            if not found:
                return None, None, None
            e = found[index]
            return epoch(e["time"]), float(e["status"]["calendar"]), float(e["status"]["business"])

        row: dict[str, Any] = {}
        at, cal, bus = pick(updates("reply_time", 1), 0)
        started, replied = times("reply_time", "activate", 1), times("reply_time", "fulfill", 1)
        if at is None and replied:
            at = min(replied)
            cal = (at - min(started)) / 60 if started else None
        row.update(first_reply_at=at, first_reply_minutes=cal, first_reply_business_minutes=bus)
        resolution_started, solves = times("resolution_time", "activate"), times("resolution_time", "fulfill")
        for name, index, fallback in (("first", 0, min), ("full", -1, max)):
            at, cal, bus = pick(updates("resolution_time"), index)
            if at is None and solves:
                at = fallback(solves)
                cal = (at - min(resolution_started)) / 60 if resolution_started else None
            row[f"{name}_resolved_at"] = at
            row[f"{name}_resolution_minutes"] = cal
            row[f"{name}_resolution_business_minutes"] = bus
        for metric, name in (("requester_wait_time", "requester_wait"), ("agent_work_time", "agent_work")):
            _, cal, bus = pick(updates(metric), -1)
            if cal is None:
                clock = [e for e in mine if e["metric"] == metric and e["type"] in ("activate", "pause", "fulfill")]
                if any(e["type"] == "fulfill" for e in clock):
                    spans = [
                        epoch(b["time"]) - epoch(a["time"])
                        for a, b in pairwise(clock)
                        if a["type"] == "activate" and b["type"] in ("pause", "fulfill")
                    ]
                    cal = sum(spans) / 60 if spans else None
            row[f"{name}_minutes"] = cal
            row[f"{name}_business_minutes"] = bus
        out[ticket_id] = row
    return out


def sla_targets(data: Records, now: int) -> dict[tuple[int, str, int], dict[str, Any]]:
    """(ticket, metric, instance) -> policy, target, applied/fulfilled/breached times; deleted tickets left out."""
    deleted = {t["id"] for t in data["tickets"] if t["status"] == "deleted"}
    groups: dict[tuple[int, str, int], list[dict[str, Any]]] = defaultdict(list)
    for e in sorted(data["ticket_metric_events"], key=lambda e: (epoch(e["time"]), e["id"])):
        groups[(e["ticket_id"], e["metric"], e["instance_id"])].append(e)
    out = {}
    for key, events in groups.items():
        applied = [e for e in events if e["type"] == "apply_sla" and e.get("sla") is not None]
        if not applied or key[0] in deleted:
            continue
        sla = applied[-1]["sla"]
        clock = [e for e in events if e["type"] in ("activate", "pause", "fulfill")]
        fulfilled = epoch(clock[-1]["time"]) if clock and clock[-1]["type"] == "fulfill" else None
        due = [epoch(e["time"]) for e in events if e["type"] == "breach" and not e.get("deleted")]
        breached = min(due) if due and min(due) < (fulfilled if fulfilled is not None else now) else None
        out[key] = {
            "policy_id": sla["policy"]["id"],
            "policy_title": sla["policy"]["title"],
            "target_minutes": float(sla["target"]),
            "business_hours": sla["business_hours"],
            "applied_at": epoch(applied[0]["time"]),
            "fulfilled_at": fulfilled,
            "breached_at": breached,
            "is_breached": breached is not None,
        }
    return out


def sla_daily(targets: dict[tuple[int, str, int], dict[str, Any]]) -> dict[tuple[date, int, str], dict[str, Any]]:
    groups: dict[tuple[date, int, str], list[tuple[int, bool]]] = defaultdict(list)
    for (ticket, metric, _), t in targets.items():
        groups[(day_of(t["applied_at"]), t["policy_id"], metric)].append((ticket, t["is_breached"]))
    out = {}
    for key, members in groups.items():
        tickets, breached = {t for t, _ in members}, {t for t, b in members if b}
        out[key] = {
            "targets": len(members),
            "targets_breached": sum(b for _, b in members),
            "tickets": len(tickets),
            "tickets_breached": len(breached),
            "breach_rate": len(breached) / len(tickets),
        }
    return out


def _has_comment(audit: dict[str, Any]) -> bool:
    return any(c["event_type"] == "Comment" or c.get("comment_present") for c in audit["child_events"])


def workload(data: Records) -> dict[tuple[date, int | None, int | None], dict[str, int]]:
    """(day, assignee, group) -> distinct tickets solved and touched, and agents' commented audits; each credited
    to the assignee and group in force at that second (the last value set at or before it)."""
    agents = {u["id"] for u in data["users"] if u["role"] in ("agent", "admin")}
    live = _live(data)
    audits: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for audit in sorted(data["ticket_events"], key=lambda a: (a["timestamp"], a["id"])):
        audits[audit["ticket_id"]].append(audit)
    solved: dict[tuple, set[int]] = defaultdict(set)
    touched: dict[tuple, set[int]] = defaultdict(set)
    comments: dict[tuple, int] = defaultdict(int)
    for ticket_id, ticket in live.items():
        timeline: dict[str, list[tuple[int, Any]]] = {"assignee_id": [], "group_id": []}
        for audit in audits.get(ticket_id, []):
            for c in audit["child_events"]:
                if c.get("field_name") in timeline and c["event_type"] in ("Create", "Change"):
                    if not timeline[c["field_name"]]:
                        timeline[c["field_name"]].append((-(1 << 62), c.get("previous_value")))
                    timeline[c["field_name"]].append((audit["timestamp"], c["value"]))
        for field, values in timeline.items():
            if not values:
                values.append((-(1 << 62), ticket[field]))

        def at(field: str, ts: int, timeline=timeline) -> int | None:
            value = [v for since, v in timeline[field] if since <= ts][-1]
            return None if value is None else int(value)

        for audit in audits.get(ticket_id, []):
            ts = audit["timestamp"]
            key = (day_of(ts), at("assignee_id", ts), at("group_id", ts))
            if audit["updater_id"] in agents and _has_comment(audit):
                touched[key].add(ticket_id)
                comments[key] += 1
            if any(c.get("field_name") == "status" and c["value"] == "solved" for c in audit["child_events"]):
                solved[key].add(ticket_id)
    return {
        key: {
            "tickets_solved": len(solved.get(key, ())),
            "tickets_touched": len(touched.get(key, ())),
            "agent_comments": comments.get(key, 0),
        }
        for key in set(solved) | set(touched)
    }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def field_history(data: Records) -> dict[tuple[int, int], dict[str, Any]]:
    """(audit_id, event_index) -> one row per Create/Change child with a field name (index counts all children)."""
    out = {}
    for audit in data["ticket_events"]:
        for index, c in enumerate(audit["child_events"]):
            if c["event_type"] in ("Create", "Change") and c.get("field_name") is not None:
                out[(audit["id"], index)] = {
                    "ticket_id": audit["ticket_id"],
                    "field_name": c["field_name"],
                    "value": _text(c.get("value")),
                    "previous_value": _text(c.get("previous_value")),
                    "changed_at": epoch(audit["created_at"]),
                    "changed_by": audit["updater_id"],
                    "event_type": c["event_type"],
                }
    return out


def backlog(data: Records) -> dict[tuple[date, str], dict[str, int]]:
    """(day, status) -> tickets in the status at the day's end, entries and exits that day, from every ticket's
    status changes (the simulator audits every ticket from its creation, deletions included)."""
    changes: dict[int, list[tuple[int, int, int, str]]] = defaultdict(list)
    for audit in data["ticket_events"]:
        for index, c in enumerate(audit["child_events"]):
            if c.get("field_name") == "status" and c["event_type"] in ("Create", "Change") and c["value"] is not None:
                changes[audit["ticket_id"]].append((epoch(audit["created_at"]), audit["id"], index, c["value"]))
    delta: dict[tuple[date, str], int] = defaultdict(int)
    entered: dict[tuple[date, str], int] = defaultdict(int)
    exited: dict[tuple[date, str], int] = defaultdict(int)
    for history in changes.values():
        history.sort()
        for (ts, _, _, status), following in zip(history, [*history[1:], None], strict=True):
            delta[(day_of(ts), status)] += 1
            entered[(day_of(ts), status)] += 1
            if following is not None:
                delta[(day_of(following[0]), status)] -= 1
                exited[(day_of(following[0]), status)] += 1
    days = [d for d, _ in delta]
    statuses = {s for _, s in delta}
    out, running = {}, dict.fromkeys(statuses, 0)
    day = min(days)
    while day <= max(days):
        for status in statuses:
            running[status] += delta.get((day, status), 0)
            out[(day, status)] = {
                "tickets": running[status],
                "entered": entered.get((day, status), 0),
                "exited": exited.get((day, status), 0),
            }
        day += timedelta(days=1)
    return out
