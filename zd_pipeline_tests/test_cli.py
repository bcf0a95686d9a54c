"""``zd-pipeline``'s help, its notice with no account configured, and its output when not writing to a terminal.

The help and the piped output are read from real subprocesses (stdout and stderr are pipes there, as in CI logs);
the parser and the progress lines are also checked through their functions.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from zd_pipeline import cli
from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.clock import ManualClock
from zd_pipeline.pipeline.commands import report, sync
from zd_pipeline.pipeline.runs import SyncOutcome
from zd_pipeline.simulator import Simulator, serve

LONG_STREAM = "routing_attribute_values"  # the longest stream name: cut first when a table is squeezed


def zd_pipeline(*argv: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "zd_pipeline.cli", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)


def readme_queries() -> list[str]:
    """Every statement of the README's ``sql`` blocks, as written there."""
    text = (cfg.PROJECT_ROOT / "README.md").read_text()
    blocks = [part.split("```", 1)[0] for part in text.split("```sql\n")[1:]]
    statements = [sql.strip() for block in blocks for sql in block.split(";")]
    uncommented = [
        "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--")) for sql in statements
    ]
    return [sql.strip() for sql in uncommented if sql.strip()]


def test_the_readme_names_every_variable_and_shows_queries() -> None:
    text = (cfg.PROJECT_ROOT / "README.md").read_text()
    for variable in cfg.ENVIRONMENT:
        assert f"`{variable.name}`" in text, variable.name
    assert len(readme_queries()) >= 3


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment with no account configured, a throw-away instance and file, and no terminal width hint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "COLUMNS"))}
    env[cfg.ENV_DAGSTER_HOME] = str(tmp_path / "home")
    env[cfg.ENV_DUCKDB_PATH] = str(tmp_path / "zendesk.duckdb")
    return env


def test_help_describes_the_product_and_every_command() -> None:
    result = zd_pipeline("--help")
    assert result.returncode == 0
    assert "DuckDB replica of a Zendesk Support account" in result.stdout
    for name in cli.COMMANDS:
        assert f"    {name}" in result.stdout
    assert "make demo" in result.stdout and "dispatcher" not in result.stdout


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_every_option_has_help_naming_its_default() -> None:
    subcommands = _subcommands()
    assert set(subcommands) == set(cli.COMMANDS)
    for name, parser in subcommands.items():
        options = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
        assert options, name
        for action in options:
            assert action.help and "default" in action.help, f"zd-pipeline {name} {action.option_strings[0]}"


def test_every_variable_settings_reads_is_listed_once() -> None:
    declared = {value for key, value in vars(cfg).items() if key.startswith("ENV_")}
    listed = [variable.name for variable in cfg.ENVIRONMENT]
    assert sorted(listed) == sorted(declared)
    assert all(variable.meaning for variable in cfg.ENVIRONMENT)


def test_sync_help_lists_the_environment_and_the_local_simulator(tmp_path: Path) -> None:
    result = zd_pipeline("sync", "--help", env=clean_env(tmp_path))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for variable in cfg.ENVIRONMENT:
        assert any(line.startswith(f"  {variable.name} ") for line in lines), variable.name
    description = " ".join(result.stdout.split())  # argparse re-wraps nothing here, but lines break anywhere
    assert f"it syncs the local simulator at {cfg.SIMULATOR_URL}" in description
    assert "--streams" in result.stdout and "--full-refresh" in result.stdout


def test_the_simulator_notice_only_without_an_account() -> None:
    notice = sync.simulator_notice(cfg.Settings())
    assert notice is not None and cfg.SIMULATOR_URL in notice
    assert cfg.ENV_SUBDOMAIN in notice and cfg.ENV_API_TOKEN in notice
    assert sync.simulator_notice(cfg.Settings(subdomain="acme")) is None
    assert sync.simulator_notice(cfg.Settings(base_url="https://support.acme.test")) is None


def test_sync_with_nothing_configured_says_first_where_it_syncs(tmp_path: Path) -> None:
    """Read the first line on stderr, then stop the process: it would go on to page whatever listens there."""
    command = [sys.executable, "-m", "zd_pipeline.cli", "sync"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path)
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert first.startswith("zd-pipeline sync: no Zendesk account configured")
    assert f"the local simulator at {cfg.SIMULATOR_URL}" in first and "make simulator" in first


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def _page(stream: str, records: int, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("zd_pipeline.progress", logging.DEBUG, __file__, 0, "page", (), None)
    record.__dict__.update(stream=stream, records=records, **extra)
    return record


def test_progress_lines_every_ten_seconds_per_stream_and_at_its_end() -> None:
    clock, out = ManualClock(1_000.0), _Lines()
    handler = report.LogLines(["tickets", "users"], out, clock=clock.now)
    handler.emit(_page("tickets", 1000))
    clock.sleep(4)
    handler.emit(_page("tickets", 1000))
    handler.emit(_page("users", 50))
    assert out.lines == []  # nothing before 10 s
    clock.sleep(6)
    handler.emit(_page("tickets", 500))
    clock.sleep(1)
    handler.emit(_page("tickets", 500))  # 1 s after the last line: counted, not printed
    handler.emit(_page("users", 0, ended=True, failed=False))
    handler.emit(_page("unknown", 7))
    clock.sleep(10)
    handler.emit(_page("tickets", 0, ended=True, failed=True))
    handler.finish()  # both ended: nothing more
    assert out.lines == [
        "sync tickets: 2,500 records so far (10 s)",
        "sync users: 50 records done (11 s)",
        "sync tickets: 3,000 records failed (21 s)",
    ]


def test_finish_names_streams_the_engine_never_ended() -> None:
    out = _Lines()
    handler = report.LogLines(["tickets"], out, clock=ManualClock(0.0).now)
    handler.emit(_page("tickets", 3))
    handler.finish()
    assert out.lines == ["sync tickets: 3 records stopped (0 s)"]


def test_summary_to_a_pipe_keeps_every_column_whole() -> None:
    buffer = io.StringIO()
    out = Console(file=buffer, width=report.LOG_WIDTH)
    meta = {"records_fetched": 1_234_567, "records_upserted": 1_234_567, "pages": 1235, "requests": 1236}
    streams = {name: {**meta, "high_water_mark_epoch": 1_790_000_000} for name in (LONG_STREAM, "tickets")}
    report.print_summary(SyncOutcome(success=True, run_id="0123456789abcdef", streams=streams), out=out)
    text = buffer.getvalue()
    assert LONG_STREAM in text and "1,234,567" in text and "high-water mark" in text and "…" not in text


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    simulator = Simulator(scale="small", seed=27, clock=ManualClock(datetime.now(UTC).timestamp() - 600))
    with serve(simulator) as base_url:
        yield base_url


def test_piped_sync_prints_progress_lines_and_the_whole_table(simulator_url: str, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env.update(
        {
            cfg.ENV_BASE_URL: simulator_url,
            cfg.ENV_EMAIL: cfg.DEMO_EMAIL,
            cfg.ENV_API_TOKEN: cfg.DEMO_API_TOKEN,
            cfg.ENV_REQUESTS_PER_MINUTE: "0",
            cfg.ENV_START_DATE: (datetime.now(UTC).date() - timedelta(days=5)).isoformat(),
        }
    )
    streams = ["organizations", LONG_STREAM]
    result = zd_pipeline("sync", "--streams", ",".join(streams), env=env)
    assert result.returncode == 0, result.stderr
    assert "no Zendesk account configured" not in result.stderr
    lines = result.stdout.splitlines()
    for name in streams:
        assert sum(line.startswith(f"sync {name}: ") and " records done (" in line for line in lines) == 1, name
        assert any(line.startswith(f"│ {name} ") for line in lines), name
    assert "…" not in result.stdout and "\x1b[" not in result.stdout  # nothing cut, no terminal codes


def test_piped_demo_prints_queries_that_work_verbatim_and_leaves_only_the_named_files(tmp_path: Path) -> None:
    """``make demo`` as CI runs it: every line it offers to paste works as printed, and the data folder holds
    the file users query plus the warehouse's working file and lock (docs/warehouse.md), nothing else."""
    env = clean_env(tmp_path)
    folder = tmp_path / "data"
    folder.mkdir()
    env[cfg.ENV_DUCKDB_PATH] = str(folder / "zendesk.duckdb")
    result = zd_pipeline("demo", "--scale", "small", env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    start = lines.index("Query the file read-only at any time, even while a sync runs, in DuckDB's CLI:")
    command, *queries = [line.strip() for line in lines[start + 1 : start + 4]]
    assert command == f"duckdb -readonly {folder / 'zendesk.duckdb'}"
    assert lines[start + 4] == f"or in Python: duckdb.connect({str(folder / 'zendesk.duckdb')!r}, read_only=True)"
    sample = next(line for line in lines if line.startswith("SELECT status, count(*) AS tickets"))
    with duckdb.connect(command.split()[-1], read_only=True) as con:
        for sql in [*queries, sample]:
            assert con.execute(sql).fetchall(), sql
        for sql in readme_queries():  # the README's first queries, on a file the demo made
            assert con.execute(sql).fetchall(), sql
    for name in STREAMS:  # every table shows whole stream names
        assert f"│ {name} " in result.stdout, name
    assert sorted(p.name for p in folder.iterdir()) == [".zendesk.lock", ".zendesk.working.duckdb", "zendesk.duckdb"]
