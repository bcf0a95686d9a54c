"""Generated tickets shaped like the Zendesk ticket export, and this process's memory, for the warehouse bench.

Records have ≈30 fields (nested via/custom_fields, tags, a 300-character description): ≈1.3 kB of JSON each.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import msgspec
import orjson

from zd_pipeline.catalogue import to_iso
from zd_pipeline.records import RawRecords

_BASE_TS = 1_700_000_000
_SLICES = msgspec.json.Decoder(list[msgspec.Raw])
_WORDS = ["printer", "broken", "invoice", "refund", "login", "password"]
_WORDS += ["shipping", "delay", "urgent", "thanks", "please", "help"]


def _templates(count: int = 256) -> list[dict[str, Any]]:
    """Varied ticket bodies; generating each ticket from scratch would dominate the benchmark."""
    rng = random.Random(7)
    return [
        {
            "url": "",
            "id": 0,
            "external_id": None,
            "via": {"channel": "email", "source": {"from": {"address": f"c{n}@example.com"}, "to": {}, "rel": None}},
            "created_at": "",
            "updated_at": "",
            "generated_timestamp": 0,
            "type": rng.choice(("problem", "incident", "question", "task")),
            "subject": " ".join(rng.choices(_WORDS, k=6)),
            "raw_subject": "subject",
            "description": " ".join(rng.choices(_WORDS, k=45)),
            "priority": rng.choice(("urgent", "high", "normal", "low")),
            "status": rng.choice(("new", "open", "pending", "solved", "closed")),
            "recipient": None,
            "requester_id": rng.randrange(1, 10**6),
            "submitter_id": rng.randrange(1, 10**6),
            "assignee_id": rng.randrange(1, 10**4),
            "organization_id": rng.randrange(1, 10**4),
            "group_id": rng.randrange(1, 100),
            "collaborator_ids": [rng.randrange(1, 10**6) for _ in range(rng.randrange(3))],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": rng.sample(_WORDS, 3),
            "custom_fields": [{"id": 360001, "value": f"tier_{n % 3}"}, {"id": 360002, "value": None}],
            "satisfaction_rating": {"score": "unoffered"},
            "sharing_agreement_ids": [],
            "fields": [{"id": 360001, "value": f"tier_{n % 3}"}],
            "brand_id": 360000001,
            "allow_channelback": False,
            "allow_attachments": True,
        }
        for n in range(count)
    ]


_TEMPLATES = _templates()


def ticket(ticket_id: int, version: int) -> dict[str, Any]:
    """A ticket shaped like the export's (≈1.3 kB of JSON); ``version`` moves its generated_timestamp forward."""
    generated = _BASE_TS + ticket_id + version * 10_000_000
    record = dict(_TEMPLATES[(ticket_id * 31 + version) % len(_TEMPLATES)])
    record["id"] = ticket_id
    record["url"] = f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json"
    record["created_at"] = to_iso(_BASE_TS + ticket_id)
    record["updated_at"] = to_iso(generated)
    record["generated_timestamp"] = generated
    return record


def as_page(records: list[dict[str, Any]]) -> RawRecords:
    """Generated tickets as the client hands a page over: each record's JSON text (slices of one page body, as
    msgspec cuts them from a response; a separate ``orjson.dumps`` per record would hold ~8 kB of RSS each), its
    id and its ordering timestamp."""
    body = orjson.dumps(records)
    ids, stamps = [r["id"] for r in records], [r["generated_timestamp"] for r in records]
    return RawRecords(_SLICES.decode(body), ids, stamps, array=body)


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """The process's peak RSS since start or the last :func:`reset_peak_rss`."""
    return _status_mb("VmHWM")


def reset_peak_rss() -> None:
    """Restart the peak-RSS count (Linux ``clear_refs``), so a phase's peak is its own, not the load's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")
