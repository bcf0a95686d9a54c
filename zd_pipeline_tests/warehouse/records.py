"""Deterministic Zendesk-shaped records and the truth they imply, shared by the warehouse tests and the writer
subprocess (no HTTP: pages are generated here)."""

from __future__ import annotations

from typing import Any

from zd_pipeline.catalogue import to_iso
from zd_pipeline.checkpoint import Checkpoint, ResumePoint

BASE = 1_700_000_000
WINDOW = (BASE, BASE + 86_400)


def ticket(ticket_id: int, generated: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "subject": f"ticket {ticket_id} at {generated}",
        "description": "printer on fire",
        "status": "open",
        "priority": "normal",
        "requester_id": 1000 + ticket_id,
        "collaborator_ids": [1, 2],
        "tags": ["vip", "printer"],
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "custom_fields": [{"id": 7, "value": "gold"}],
        "satisfaction_rating": None,
        "has_incidents": False,
        "created_at": to_iso(BASE),
        "updated_at": to_iso(generated),
        "generated_timestamp": generated,
    }
    record.update(fields)
    return record


def user(user_id: int, updated: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": user_id,
        "name": f"user {user_id}",
        "email": f"u{user_id}@example.com",
        "role": "end-user",
        "active": True,
        "tags": [],
        "user_fields": {"tier": "gold"},
        "created_at": to_iso(BASE),
        "updated_at": to_iso(updated),
    }
    record.update(fields)
    return record


def crash_page(number: int, size: int) -> list[dict[str, Any]]:
    """Page ``number`` of a long sync: ``size`` new tickets, updates of earlier ones and one stale old version."""
    first = number * size
    records = [ticket(first + i, BASE + number) for i in range(size)]
    if number:
        records += [ticket(i * 7 % first, BASE + number, status="pending") for i in range(size // 4)]
        records.append(ticket(0, BASE - 1, status="stale"))  # older than anything stored: must be ignored
    return records


def crash_truth(numbers: range | list[int], size: int) -> dict[int, tuple[int, str]]:
    """id → (generated_timestamp, status) after applying the pages ``numbers`` in any order (newest wins)."""
    truth: dict[int, tuple[int, str]] = {}
    for number in numbers:
        for record in crash_page(number, size):
            stored = truth.get(record["id"])
            if stored is None or record["generated_timestamp"] >= stored[0]:
                truth[record["id"]] = (record["generated_timestamp"], record["status"])
    return truth


def page_checkpoint(
    stream: str, next_page: int, *, complete: bool = False, window: tuple[int, int] = WINDOW
) -> Checkpoint:
    """The checkpoint stored with a page: resume at the next page (its number stands in for a start_time)."""
    return Checkpoint(stream, window[0], window[1], ResumePoint(start_time=next_page), BASE + next_page, complete)
