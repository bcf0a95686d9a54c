"""``zd-pipeline demo``: the simulator at demo scale, a full sync through Dagster, and what landed.

What ``make demo`` runs on a fresh machine. The simulator is embedded (a real HTTP server on a free loopback
port, its rate limit off and the client's throttle off so the demo takes seconds, not the ~10 minutes Zendesk's
10 requests/minute would impose); credentials are the simulator's public demo ones unless ``ZENDESK_*`` are set.
The run is recorded on the instance in ``$DAGSTER_HOME``, so ``make dev`` shows it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys

from zd_pipeline import settings as cfg
from zd_pipeline.pipeline.commands.demo_simulator import DEMO_SCALE, DEMO_SEED, SCALES, demo_environment, demo_simulator

SAMPLE_SQL = """
SELECT status, count(*) AS tickets, round(avg(len(tags)), 1) AS avg_tags
FROM tickets GROUP BY ALL ORDER BY tickets DESC
""".strip()
ANALYTICS_SQL = "SELECT * FROM analytics.ticket_backlog_daily ORDER BY day DESC LIMIT 5"
# What the demo's last lines tell a user to paste into a session on the file (each works verbatim: a test runs them).
FIRST_QUERIES = ("SELECT status, count(*) FROM tickets GROUP BY ALL;", f"{ANALYTICS_SQL};")


DESCRIPTION = """\
What `make demo` runs: start the Zendesk simulator on a free loopback port, sync every stream through Dagster into
the DuckDB file (ZD_DUCKDB_PATH, default data/zendesk.duckdb), build the analytics tables, and print what landed
and the SQL to query it. The run is recorded on the instance in $DAGSTER_HOME, so `make dev` shows it."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from zd_pipeline.simulator.scales import scale_help

    parser.add_argument("--scale", default=DEMO_SCALE, choices=SCALES, help=scale_help(DEMO_SCALE))
    parser.add_argument(
        "--seed", type=int, default=DEMO_SEED, help=f"data seed: same seed, same account (default {DEMO_SEED})"
    )


def run(args: argparse.Namespace) -> int:
    from zd_pipeline.catalogue import LISTS, STREAMS
    from zd_pipeline.pipeline.commands.report import console, print_summary, sync_progress
    from zd_pipeline.pipeline.commands.sync import prepare_dagster_home
    from zd_pipeline.pipeline.runs import merged, run_analytics, run_reference, run_sync

    os.environ.pop(cfg.ENV_ACCOUNTS_FILE, None)  # the demo syncs its own simulator, the one account of the environment
    try:
        settings = cfg.Settings.from_env()
    except cfg.SettingsError as exc:
        print(f"zd-pipeline demo: {exc}", file=sys.stderr)
        return 2
    prepare_dagster_home(settings)
    console.print(f"Starting the Zendesk simulator ({args.scale} scale, seed {args.seed})…")
    with demo_simulator(args.scale, args.seed) as base_url:
        os.environ.update(demo_environment(base_url, os.environ))
        console.print(f"Simulator at {base_url}; syncing every stream into {settings.duckdb_path} …")
        with sync_progress(list(STREAMS)):
            outcome = merged(run_sync(os.environ, list(STREAMS)), run_reference(os.environ, list(LISTS)))
    print_summary(outcome)
    if not outcome.success:
        return 1
    _show_what_landed(settings)
    console.print("Building the analytics tables (schema analytics) …")
    analytics = run_analytics(os.environ)
    if not analytics.success:
        console.print(f"[red]Analytics failed:[/] {analytics.failure}")
        return 1
    _show_answers(settings)
    _print_next_steps(settings)
    return 0


def _print_next_steps(settings: cfg.Settings) -> None:
    """Where to look next, each command and query on a line of its own, never wrapped: pasted verbatim, it works."""
    from zd_pipeline.pipeline.commands.report import console

    lines = [
        "",
        "Query the file read-only at any time, even while a sync runs, in DuckDB's CLI:",
        f"  duckdb -readonly {settings.duckdb_path}",
        *(f"  {sql}" for sql in FIRST_QUERIES),
        f"or in Python: duckdb.connect({str(settings.duckdb_path)!r}, read_only=True)",
        "Open the Dagster UI on this data: make dev, then http://127.0.0.1:3000",
    ]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _show_what_landed(settings: cfg.Settings) -> None:
    from rich.table import Table

    from zd_pipeline.catalogue import LISTS, STREAMS
    from zd_pipeline.pipeline.commands.report import console
    from zd_pipeline.warehouse import Warehouse

    warehouse = Warehouse(settings.duckdb_path, memory_limit=settings.duckdb_memory_limit)
    console.print(f"Rows per table in {settings.duckdb_path}:", markup=False, highlight=False, soft_wrap=True)
    counts = Table()
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name in [*STREAMS, *LISTS]:
        counts.add_row(name, f"{warehouse.row_count(name):,}")
    console.print(counts)
    sql = SAMPLE_SQL
    with warehouse.read() as con:
        cursor = con.execute(sql)
        header = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    console.print(" ".join(sql.split()) + ";", markup=False, highlight=False, soft_wrap=True)  # one line to paste
    sample = Table()
    for column in header:
        sample.add_column(column)
    for row in rows:
        sample.add_row(*(str(v) for v in row))
    console.print(sample)


def _show_answers(settings: cfg.Settings) -> None:
    from zd_pipeline.analytics.answers import answers
    from zd_pipeline.pipeline.commands.report import console
    from zd_pipeline.warehouse import RAW, Warehouse

    with Warehouse(settings.duckdb_path, memory_limit=settings.duckdb_memory_limit).read() as con:
        found = answers(con, "analytics", RAW)
    console.print("\n[bold]What the analytics tables answer[/]")
    for answer in found:
        console.print(f"  {answer.question} [bold]{answer.answer}[/]")
