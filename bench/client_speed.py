"""How fast the client pages, and how fully it spends the rate limit.

Run: ``.venv/bin/python -m bench.client_speed [--scale bench] [--records 200000] [--rounds 3]``

1. Limit off: records/s of ``ZendeskClient.iter_pages`` over the tickets cursor export, against a bare httpx loop
   fetching the same pages (``orjson.loads`` and follow ``after_url``, nothing else) from the same simulator.
   The ratio shows what parsing, validation and de-duplication cost (goal >= 0.8).
2. Limit on: a simulator enforcing 10 requests/minute per endpoint and a client budgeted at 10, sharing one
   ``ManualClock`` (minutes pass instantly); requests per minute as a share of the limit (goal >= 97 %), and the
   429s received (goal 0).
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
import orjson

from bench.common import simulator_process
from zd_pipeline.catalogue import TICKETS
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import ApiTokenAuth, ClientConfig, ZendeskClient
from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Credentials, Simulator, serve

AUTH = ApiTokenAuth(DEMO_EMAIL, DEMO_API_TOKEN)


def bare_loop(base_url: str, start_time: int, max_records: int) -> int:
    """The floor: fetch and parse the same cursor pages with nothing but httpx and orjson."""
    url = f"{base_url}{TICKETS.cursor_path}?start_time={start_time}&per_page=1000"
    records = 0
    with httpx.Client(headers={"Authorization": AUTH.header()}, timeout=60) as http:
        while records < max_records:
            body = orjson.loads(http.get(url).content)
            records += len(body[TICKETS.response_key])
            if body["end_of_stream"]:
                break
            url = body["after_url"]
    return records


def client_loop(base_url: str, start_time: int, max_records: int) -> int:
    config = ClientConfig(base_url=base_url, auth=AUTH, requests_per_minute=0, timeout=60)
    records = 0
    with ZendeskClient(config) as client:
        for page in client.iter_pages(TICKETS, ResumePoint(start_time=start_time)):
            records += len(page.records)
            if records >= max_records:
                break
    return records


def measure_rates(base_url: str, max_records: int, rounds: int) -> dict[str, float]:
    """Median records/s per loop over ``rounds`` ABBA rounds (bare, client, client, bare), so drift in a shared
    machine's load cancels out; also the median CPU microseconds per record in this process (``... cpu``) and
    the ``records`` per run."""
    loops = {"bare httpx": bare_loop, "ZendeskClient": client_loop}
    wall: dict[str, list[float]] = {name: [] for name in loops}
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    bare_loop(base_url, 0, min(max_records, 20_000))  # warm both ends up (connections, lazy renders)
    records = 0
    for _ in range(rounds):
        for name in ("bare httpx", "ZendeskClient", "ZendeskClient", "bare httpx"):
            began, began_cpu = time.perf_counter(), time.process_time()
            records = loops[name](base_url, 0, max_records)
            wall[name].append(records / (time.perf_counter() - began))
            # The simulator runs in another process, so this process's CPU time is the fetching side's own.
            cpu[name].append((time.process_time() - began_cpu) / records * 1e6)
    rates: dict[str, float] = {name: statistics.median(wall[name]) for name in loops}
    rates.update({f"{name} cpu": statistics.median(cpu[name]) for name in loops})
    rates["records"] = records
    return rates


def measure_throughput(scale: str, max_records: int, rounds: int) -> None:
    with simulator_process(scale) as base_url:
        rates = measure_rates(base_url, max_records, rounds)
    bare, ours = rates["bare httpx"], rates["ZendeskClient"]
    bare_cpu, ours_cpu = rates["bare httpx cpu"], rates["ZendeskClient cpu"]
    records = int(rates["records"])
    print(f"limit off: tickets cursor export, scale={scale}, {records:,} records per run, median of {2 * rounds} runs")
    print(f"  bare httpx loop     {bare:>10,.0f} records/s   {bare_cpu:>6.1f} us CPU/record in this process")
    print(f"  ZendeskClient       {ours:>10,.0f} records/s   {ours_cpu:>6.1f} us CPU/record in this process")
    print(f"  ratio               {ours / bare:>10.2f}   (goal >= 0.80)")


def measure_limit_share(limit: int, pages: int) -> None:
    clock = ManualClock()
    sim = Simulator(scale="small", seed=0, clock=clock, rate_limit=limit, credentials=Credentials.demo())
    with serve(sim) as base_url:
        config = ClientConfig(base_url=base_url, auth=AUTH, requests_per_minute=limit, per_page=20)
        with ZendeskClient(config, clock=clock) as client:
            iteration = client.iter_pages(TICKETS, ResumePoint(start_time=0))
            for _ in zip(range(pages), iteration, strict=False):
                pass
            received_429 = client.stats.responses_429
    log = sim.request_log  # (server clock time, method, path, query, status)
    arrivals = [entry[0] for entry in log]
    span = arrivals[-1] - arrivals[0]
    # A sliding-window pacer sends its first ``limit`` requests at once; the sustained rate is the requests
    # after that burst over the time they took.
    sustained = (len(arrivals) - limit) / span * 60
    refused = sum(1 for entry in log if entry[4] == 429)
    print(
        f"limit on: {limit}/min per endpoint at both ends, shared ManualClock, {len(arrivals)} requests "
        f"over {span / 60:.1f} simulated minutes"
    )
    print(
        f"  sustained rate      {sustained:>10.2f} requests/min = {sustained / limit:.1%} of the limit (goal >= 97 %)"
    )
    print(f"  429s                {received_429:>10} received by the client, {refused} sent by the server (goal 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="bench", help="simulator scale for the throughput run (default bench)")
    parser.add_argument("--records", type=int, default=200_000, help="tickets per throughput run")
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds; the median is reported")
    parser.add_argument("--limit", type=int, default=10, help="requests per minute for the limit run")
    parser.add_argument("--pages", type=int, default=100, help="requests in the limit run")
    args = parser.parse_args()
    measure_throughput(args.scale, args.records, args.rounds)
    measure_limit_share(args.limit, args.pages)


if __name__ == "__main__":
    main()
