"""``zd-pipeline sync`` of several accounts at once: one ``zd-pipeline sync --account NAME`` process per account.

A process per account rather than threads in this one: each account's run is then exactly the run a single-account
sync makes (its own Dagster run, client, rate-limit budget and DuckDB file), runs on its own core, and whatever
happens in it (bad credentials, an outage that exhausts the client's retries, a crash) ends only that process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

console = Console(stderr=False)


@dataclass(frozen=True)
class AccountSync:
    """One account's sync process, once it ended: its exit status, wall seconds and everything it printed."""

    account: str
    returncode: int
    seconds: float
    output: str

    @property
    def failure(self) -> str | None:
        """The line the account's process gave for its failure (``zd-pipeline sync: ...``), if it failed."""
        if self.returncode == 0:
            return None
        lines = [line for line in self.output.splitlines() if line.startswith("zd-pipeline sync:")]
        return lines[-1].removeprefix("zd-pipeline sync:").strip() if lines else f"exit status {self.returncode}"


def sync_each(accounts: list[str], args: argparse.Namespace) -> int:
    """Sync every account in ``accounts`` (at most ``args.parallel`` at once); 1 when any failed, else 0."""
    printing = threading.Lock()

    def one(account: str) -> AccountSync:
        done = sync_account(account, args)
        with printing:  # whole outputs, one account after another, as each finishes
            verdict = "[green]done[/]" if done.returncode == 0 else "[red]failed[/]"
            console.rule(f"account {account}: {verdict} in {done.seconds:.1f} s")
            console.out(done.output.rstrip(), highlight=False)
        return done

    at_once = min(args.parallel, len(accounts))
    console.print(f"Syncing {len(accounts)} accounts, {at_once} at a time: {', '.join(accounts)}")
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(one, accounts))
    summary = Table(title="Accounts", title_justify="left")
    for column in ("account", "result", "seconds"):
        summary.add_column(column, justify="right" if column == "seconds" else "left")
    for done in results:
        result = "ok" if done.returncode == 0 else f"failed: {done.failure}"
        summary.add_row(done.account, result, f"{done.seconds:.1f}")
    console.print(summary)
    failed = [done.account for done in results if done.returncode != 0]
    if failed:
        names = ", ".join(failed)
        print(f"zd-pipeline sync: {len(failed)} of {len(results)} accounts failed: {names}", file=sys.stderr)
    return 1 if failed else 0


def sync_account(account: str, args: argparse.Namespace) -> AccountSync:
    """``zd-pipeline sync --account NAME`` with this command's options, in this environment, to its end."""
    command = [sys.executable, "-m", "zd_pipeline.cli", "sync", "--account", account]
    if args.streams:
        command += ["--streams", args.streams]
    if args.full_refresh:
        command.append("--full-refresh")
    began = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return AccountSync(account, done.returncode, time.perf_counter() - began, done.stdout)
