"""Terminal output of a sync: live per-stream progress and the summary table (rich)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zd_pipeline.pipeline.engine import progress_log
from zd_pipeline.pipeline.runs import SyncOutcome

console = Console(stderr=False)


class _ProgressHandler(logging.Handler):
    """Turns the engine's per-page log records into progress-bar updates."""

    def __init__(self, progress: Progress, tasks: dict[str, int]) -> None:
        super().__init__(logging.DEBUG)
        self.progress, self.tasks, self.counts = progress, tasks, dict.fromkeys(tasks, 0)

    def emit(self, record: logging.LogRecord) -> None:
        stream = getattr(record, "stream", None)
        if stream not in self.tasks:
            return
        self.counts[stream] += getattr(record, "records", 0)
        self.progress.update(self.tasks[stream], description=f"{stream}: {self.counts[stream]:,} records")


@contextmanager
def sync_progress(stream_names: Sequence[str]) -> Iterator[None]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks = {name: progress.add_task(f"{name}: starting") for name in stream_names}
        handler = _ProgressHandler(progress, tasks)
        previous = progress_log.level
        progress_log.addHandler(handler)
        progress_log.setLevel(logging.DEBUG)
        try:
            yield
        finally:
            progress_log.removeHandler(handler)
            progress_log.setLevel(previous)


def print_summary(outcome: SyncOutcome) -> None:
    table = Table(title=f"Sync run {outcome.run_id[:8]}", title_justify="left")
    for column in ("stream", "fetched", "upserted", "pages", "requests", "429s", "high-water mark", "rows"):
        table.add_column(column, justify="left" if column in ("stream", "high-water mark") else "right")
    for name, meta in sorted(outcome.streams.items()):
        hwm = meta.get("high_water_mark_epoch")
        table.add_row(
            name,
            f"{meta.get('records_fetched', 0):,}",
            f"{meta.get('records_upserted', 0):,}",
            str(meta.get("pages", 0)),
            str(meta.get("requests", 0)),
            str(meta.get("responses_429", 0)),
            _iso(hwm),
            f"{meta.get('row_count', 0):,}",
        )
    console.print(table)
    if outcome.checks:
        failed = [c for c in outcome.checks if not c[2]]
        console.print(f"Asset checks: {len(outcome.checks) - len(failed)} passed, {len(failed)} did not")
        for asset, check, _passed, description in failed:
            console.print(f"  [red]FAIL[/] {asset} {check}: {description}")
    if outcome.failure:
        console.print(f"[red]Sync failed:[/] {outcome.failure}")


def print_not_offered(outcome: SyncOutcome) -> None:
    """One plain line per stream the account's Zendesk plan does not offer (not an error: exit status 0)."""
    for name, why in sorted(outcome.not_offered.items()):
        console.print(f"Not synced: {name}: {why}", markup=False, highlight=False)


def _iso(epoch: int | None) -> str:
    from zd_pipeline.catalogue import to_iso

    return "—" if epoch is None else to_iso(int(epoch))
