"""Figure 10: Dagster's bookkeeping in a first sync of a long history, on SQLite and on PostgreSQL storage.

Daily partitions cost one "planned" and one "materialized" event per stream and day in a run over a range of days
(dagster-io/dagster#18789, #19829, #31694), so a first sync of a 3-year history writes thousands of events
whatever it fetches. For each storage (the project's ``dagster.yaml``: Dagster's SQLite default; ``deploy/
dagster.yaml``: Dagster's PostgreSQL storage on a throw-away local server) and each history (90 days, 3 years)
this runs ``zd-pipeline sync`` of every stream, limit lifted, on a fresh instance and DuckDB file, and reports the
events the run stored, the process's wall and CPU seconds, and the PostgreSQL server's CPU seconds (its postmaster
and every backend it reaped, from ``/proc``). All with Dagster's event batching on (``DAGSTER_EVENT_BATCH_SIZE``,
defaulted to 1000 by ``zd_pipeline.pipeline.event_batching``); with ``bookkeeping_unbatched`` in the profile the
3-year case also runs once with it off (``0``).

The goal is a *rate-limited* first sync of the 3-year history within 1.10 × its paging bound, bookkeeping
included. A real rate-limited run takes as long as the bound (about ten minutes at Zendesk's limit), so it is
computed from the unthrottled run: the bound is figure 5's (``max_p floor((n_p - 1) / L) · 60 s`` over the API
requests ``n_p`` this run made per endpoint, ``L`` = the profile's limit), and the estimate adds to it everything
the unthrottled process did outside its paging (wall time minus the first-to-last API request span: start-up, the
run's creation with its planned events, the materializations after the last page, the checks, exit), as if none of
it overlapped the waits for the limit: ``bound + (wall − paging span)``. The looser ``max(bound, wall)`` is
shown beside it. The records come from the simulator's history (its last 89 days): the days before it are empty
but each still costs its events, which is the cost measured here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from bench.common import ALL_STREAMS, PROJECT_ROOT, Figure, SyncSandbox, request_log, simulator_process
from bench.figures import Profile, start_date
from bench.figures.rate_limited import theoretical_bound
from zd_pipeline.pipeline.commands.sync import instance_in
from zd_pipeline.pipeline.event_batching import BATCH_SIZE_VARIABLE

GOAL_RATIO = 1.10
REFERENCE_BOUND = 600.0  # seconds: a 3-year history of ~100,000 tickets pages in about ten minutes at 10/min
PG_VARIABLES = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD")


@dataclass
class Trial:
    storage: str
    days: int
    batching: bool
    events: int
    materialized: int
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    paging_span: float
    requests: dict[str, int]


def measure(profile: Profile) -> list[Figure]:
    short, long = profile.bookkeeping_days
    trials: list[Trial] = []
    with simulator_process(profile.bookkeeping_scale) as base_url, postgres_instance_env() as (pg_env, server):
        # PostgreSQL first (the goal's storage); each trial is printed as it ends, so a cut-short run keeps them.
        cases = [("postgres", long, True), ("postgres", short, True), ("sqlite", short, True), ("sqlite", long, True)]
        if profile.bookkeeping_unbatched:
            cases += [("postgres", long, False), ("sqlite", long, False)]
        for storage, days, batching in cases:
            trial = _trial(base_url, storage, days, batching, pg_env if storage == "postgres" else {}, server)
            print(f"  {storage}: {_describe(trial)}; paging span {trial.paging_span:.1f} s", flush=True)
            trials.append(trial)
    rpm = profile.bookkeeping_rpm
    figures = []
    for storage in ("postgres", "sqlite"):
        long_run = next(t for t in trials if t.storage == storage and t.days == long and t.batching)
        bound = theoretical_bound(long_run.requests, rpm)
        outside = long_run.seconds - long_run.paging_span
        estimate = bound + outside
        ratio = estimate / bound if bound else float("inf")
        loose = max(bound, long_run.seconds) / bound if bound else float("inf")
        ten_minutes = (REFERENCE_BOUND + outside) / REFERENCE_BOUND
        cpu = long_run.cpu_seconds + long_run.server_cpu_seconds
        by_cpu = (bound + cpu) / bound if bound else float("inf")
        rows = "; ".join(_describe(t) for t in trials if t.storage == storage)
        note = (
            f"{profile.bookkeeping_scale} scale, every stream, limit lifted, fresh instance each. {rows}. "
            f"Rate-limited {long}-day estimate at {rpm}/min per endpoint: bound {bound:.0f} s (busiest endpoint "
            f"{max(long_run.requests.values())} requests) + {outside:.1f} s outside paging (wall {long_run.seconds:.1f}"
            f" s − paging span {long_run.paging_span:.1f} s) = {estimate:.0f} s; max(bound, wall) gives {loose:.3f} ×; "
            f"against a {REFERENCE_BOUND:.0f} s bound (a history that pages in ten minutes) the same overhead is "
            f"{ten_minutes:.3f} ×; with the CPU seconds of sync and server as the overhead instead of wall time "
            f"(a loaded machine stretches wall time): ({bound:.0f} + {cpu:.1f}) / {bound:.0f} = {by_cpu:.3f} ×"
        )
        figures.append(
            Figure(
                10,
                f"first sync bookkeeping, {storage} storage ({long} days, rate-limited estimate)",
                f"{ratio:.3f} × bound",
                f"≤ {GOAL_RATIO}" if storage == "postgres" else f"(reported; goal on PostgreSQL ≤ {GOAL_RATIO})",
                ratio <= GOAL_RATIO if storage == "postgres" else None,
                note,
                {"ratio": ratio, "bound": bound, "trials": [t.__dict__ for t in trials if t.storage == storage]},
            )
        )
    return figures


def _describe(t: Trial) -> str:
    server = f" + server {t.server_cpu_seconds:.1f} CPU-s" if t.storage == "postgres" else ""
    return (
        f"{t.days} days{'' if t.batching else ', batching off'}: {t.events:,} events "
        f"({t.materialized:,} materializations), {t.seconds:.1f} s, {t.cpu_seconds:.1f} CPU-s{server}"
    )


def _trial(
    base_url: str, storage: str, days: int, batching: bool, pg_env: dict[str, str], server: object | None
) -> Trial:
    instance_yaml = PROJECT_ROOT / ("deploy/dagster.yaml" if storage == "postgres" else "dagster.yaml")
    extra = dict(pg_env)
    if storage == "postgres":
        database = f"bench_{days}_{int(batching)}"
        server.create_database(database)
        extra["DAGSTER_PG_DB"] = database
    if not batching:
        extra[BATCH_SIZE_VARIABLE] = "0"
    before = len(request_log(base_url))
    with SyncSandbox(base_url, start_date=start_date(days), instance_yaml=instance_yaml, extra_env=extra) as box:
        server_cpu = _server_cpu(server) if storage == "postgres" else 0.0
        run = box.sync(ALL_STREAMS)
        server_cpu = (_server_cpu(server) - server_cpu) if storage == "postgres" else 0.0
        events, materialized = _events(box.dagster_home, extra)
    api = [entry for entry in request_log(base_url)[before:] if not entry[2].startswith("/_sim")]
    served = Counter(entry[2] for entry in api if entry[4] == 200)
    span = max(e[0] for e in api) - min(e[0] for e in api)
    return Trial(storage, days, batching, events, materialized, run.seconds, run.cpu_seconds, server_cpu, span, served)


def _events(home: Path, env: dict[str, str]) -> tuple[int, int]:
    """(every event of the newest run, its materializations), read back through the instance's own storage."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with instance_in(home) as instance:
            run_id = instance.get_run_records(limit=1)[0].dagster_run.run_id
            logs = instance.all_logs(run_id)
            materialized = sum(1 for e in logs if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION)
            return len(logs), materialized
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def postgres_instance_env() -> Iterator[tuple[dict[str, str], object]]:
    """A local PostgreSQL server (the tests' own) and deploy/env.example's instance variables for it."""
    from zd_pipeline_tests.postgres.server import PASSWORD, USER, start_server

    server = start_server()
    try:
        env = {
            "DAGSTER_PG_HOST": server.host,
            "DAGSTER_PG_PORT": str(server.port),
            "DAGSTER_PG_USERNAME": USER,
            "DAGSTER_PG_PASSWORD": PASSWORD,
        }
        yield env, server
    finally:
        server.stop()


def _server_cpu(server: object) -> float:
    """CPU seconds of the postmaster and of the backends it has reaped (``/proc/<pid>/stat`` fields 14-17)."""
    pid = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
