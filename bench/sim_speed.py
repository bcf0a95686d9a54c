"""How fast the simulator serves tickets at bench scale to a plain httpx loop over loopback.

Goal: >= 30,000 tickets/s, so the simulator is never the bottleneck of a benchmark. Run::

    .venv/bin/python -m bench.sim_speed                 # the whole million, cursor-based export
    .venv/bin/python -m bench.sim_speed --limit 200000 --pagination time

The simulator runs as its own process (``zd-pipeline simulator --scale bench --rate-limit 0``), as it would for
a real benchmark; the loop parses each page with orjson (it must, to follow ``after_url``) on one keep-alive
connection. Building the bench account takes a few seconds and is reported apart from the serving rate.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time

import httpx
import orjson

from zd_pipeline.catalogue import TICKETS, Pagination
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator.vocab import ACCOUNT_URL

GOAL_TICKETS_PER_S = 30_000


def start_simulator(port: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "zd_pipeline.cli", "simulator", "--scale", "bench", "--rate-limit", "0",
               "--port", str(port), "--seed", str(seed)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    if " at " not in first:
        process.kill()
        raise SystemExit(f"the simulator did not start: {first!r}")
    return process, first.rsplit(" at ", 1)[1].strip()


def wait_until_serving(client: httpx.Client, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            client.get("/_sim/info")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the simulator did not answer in time")


def envelope_of(content: bytes) -> dict:
    """The page's fields other than the items, parsed from the tail: the simulator writes the items first."""
    return orjson.loads(b"{" + content[content.rindex(b'],"') + 2 :])


def run_export(client: httpx.Client, pagination: Pagination, limit: int, parse: bool) -> tuple[int, int, int, float]:
    """(tickets, pages, bytes, seconds) of an export from the beginning until ``limit`` tickets or the end.

    ``parse``: decode every page in full (what a sync does); otherwise only the envelope, counting tickets by
    their ``url`` field, which measures the simulator rather than the client's JSON decoding.
    """
    url, params = TICKETS.path_for(pagination), {"start_time": 0}
    tickets = pages = size = 0
    marker = b'{"url":"' + ACCOUNT_URL.encode() + b"/tickets/"
    gc.disable()  # a page of dicts triggers needless cyclic collections on the client
    started = time.perf_counter()
    try:
        while tickets < limit:
            response = client.get(url, params=params)
            response.raise_for_status()
            content = response.content
            if parse:
                body = orjson.loads(content)
                tickets += len(body["tickets"])
            else:
                body = envelope_of(content)
                tickets += content.count(marker)
            pages += 1
            size += len(content)
            if body["end_of_stream"]:
                break
            url, params = (body["after_url"] if pagination is Pagination.CURSOR else body["next_page"]), None
    finally:
        gc.enable()
    return tickets, pages, size, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1_000_000, help="stop after this many tickets")
    parser.add_argument("--pagination", choices=("cursor", "time"), default="cursor")
    parser.add_argument("--parse", action="store_true", help="decode every page in full (client-bound figure)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    process, base_url = start_simulator(args.port, args.seed)
    try:
        auth = (f"{DEMO_EMAIL}/token", DEMO_API_TOKEN)
        with httpx.Client(base_url=base_url, auth=auth, timeout=60) as client:
            wait_until_serving(client)
            build_s = time.perf_counter() - started
            tickets, pages, size, seconds = run_export(client, Pagination(args.pagination), args.limit, args.parse)
    finally:
        process.terminate()
        process.wait(timeout=10)
    rate = tickets / seconds
    verdict = "OK" if rate >= GOAL_TICKETS_PER_S else "BELOW GOAL"
    print(f"simulator start (bench scale build): {build_s:.1f} s")
    mode = "full JSON decode" if args.parse else "envelope decode"
    mb = size / 1e6
    print(f"{args.pagination} export ({mode}): {tickets:,} tickets in {pages:,} pages, {mb:,.0f} MB, {seconds:.1f} s")
    print(f"sim_speed: {rate:,.0f} tickets/s ({mb / seconds:,.0f} MB/s); goal >= {GOAL_TICKETS_PER_S:,}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
