"""Warehouse upsert speed: ticket rows/s into a table already holding N rows, and the writer's memory.

Run: ``.venv/bin/python -m bench.warehouse_speed [--rows 1000000] [--pages 100] [--page-size 1000]``

1. Loads ``--rows`` generated tickets (10,000-record pages in one session; prints the load rate).
2. Upserts pages of ``--page-size`` tickets (70 % newer versions of stored tickets spread over the whole id range,
   30 % new ids): 20 pages with one connection per page (the default), the other ``--pages - 20`` inside one
   ``Warehouse.session()``, then six 10x larger batches in a session.
3. Prints rows/s per mode (session times include the session's final checkpoint), the cost of converting a page
   and of opening a connection, and the process's RSS as the table grows and after each phase.

Records look like the Zendesk ticket export (≈30 fields, nested via/custom_fields, tags, a 300-char description).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from zd_pipeline.catalogue import TICKETS, to_iso
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.warehouse import Warehouse
from zd_pipeline.warehouse.arrow_page import page_to_arrow

_BASE_TS = 1_700_000_000
_WORDS = [
    "printer",
    "broken",
    "invoice",
    "refund",
    "login",
    "password",
    "shipping",
    "delay",
    "urgent",
    "thanks",
    "please",
    "help",
]


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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(wh: Warehouse, rows: int) -> None:
    page_size = 10_000
    started = time.perf_counter()
    with wh.session():
        for first in range(1, rows + 1, page_size):
            records = [ticket(i, 0) for i in range(first, min(first + page_size, rows + 1))]
            wh.apply_page(TICKETS, records, _checkpoint(first))
            if (first - 1 + page_size) % 250_000 == 0:
                print(f"  {first - 1 + page_size:>9,} rows loaded, RSS {rss_mb():,.0f} MB")
    elapsed = time.perf_counter() - started
    print(f"loaded {rows:,} tickets in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s incl. generation)")


def upsert_pages(rows: int, pages: int, page_size: int, rng: random.Random) -> list[list[dict[str, Any]]]:
    """Pages of 70 % newer versions of stored tickets and 30 % new ones (generated before timing)."""
    result, next_new = [], rows + 1
    for page in range(pages):
        records = []
        for _ in range(page_size):
            if rng.random() < 0.7:
                records.append(ticket(rng.randrange(1, rows + 1), page + 1))
            else:
                records.append(ticket(next_new, page + 1))
                next_new += 1
        result.append(records)
    return result


def timed_upserts(wh: Warehouse, pages: list[list[dict[str, Any]]], label: str, *, session: bool) -> None:
    """Apply ``pages``; the time includes opening and closing the session (its final checkpoint)."""
    started = time.perf_counter()
    written = 0
    with wh.session() if session else contextlib.nullcontext():
        for number, records in enumerate(pages):
            written += wh.apply_page(TICKETS, records, _checkpoint(number)).written
    elapsed = time.perf_counter() - started
    received = sum(len(p) for p in pages)
    print(
        f"{label}: {received:,} rows in {elapsed:.2f}s = {received / elapsed:,.0f} rows/s "
        f"({written:,} written; {elapsed / len(pages) * 1000:.1f} ms/page; RSS {rss_mb():,.0f} MB)"
    )


def conversion_cost(pages: list[list[dict[str, Any]]]) -> None:
    started = time.perf_counter()
    for records in pages:
        page_to_arrow(TICKETS, records)
    per_page = (time.perf_counter() - started) / len(pages) * 1000
    print(f"converting a {len(pages[0]):,}-ticket page to Arrow: {per_page:.1f} ms")


def connection_cost(wh: Warehouse, times: int = 20) -> None:
    started = time.perf_counter()
    for _ in range(times):
        with wh.write():
            pass
    print(f"opening + closing a write connection: {(time.perf_counter() - started) / times * 1000:.1f} ms")


def _checkpoint(number: int) -> Checkpoint:
    return Checkpoint("tickets", 0, 1, ResumePoint(start_time=number), high_water_mark=number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=80)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        wh.ensure_tables()
        print(f"RSS before load: {rss_mb():,.0f} MB")
        load(wh, args.rows)
        print(f"RSS after load: {rss_mb():,.0f} MB; table holds {wh.row_count('tickets'):,} rows")
        connection_cost(wh)
        pages = upsert_pages(args.rows, args.pages, args.page_size, rng)
        conversion_cost(pages[:10])
        timed_upserts(wh, pages[:20], "upsert, one connection per page", session=False)
        timed_upserts(wh, pages[20:], "upsert, one session for all pages", session=True)
        batches = upsert_pages(args.rows, 6, 10 * args.page_size, rng)
        timed_upserts(wh, batches, f"upsert, one session, {10 * args.page_size:,}-row batches", session=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB")
        print(f"table now holds {wh.row_count('tickets'):,} rows")


if __name__ == "__main__":
    main()
