"""Output of a sync: per-stream progress while it runs and the summary table after.

In a terminal, rich's live progress and tables sized to the window. Anywhere else (a pipe, a CI log, ``| tee``),
plain lines: one per stream every :data:`LOG_EVERY_SECONDS` while it pages and one when it ends, and tables as
wide as their content, because a log has no width and rich would otherwise cut them to 80 columns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zd_pipeline.pipeline.engine import progress_log
from zd_pipeline.pipeline.runs import SyncOutcome

LOG_EVERY_SECONDS = 10.0
LOG_WIDTH = 1_000  # columns of a non-terminal's lines: wider than any table or message printed here


def make_console() -> Console:
    """stdout's console: the terminal's width in a terminal, :data:`LOG_WIDTH` elsewhere."""
    console = Console()
    return console if console.is_terminal else Console(width=LOG_WIDTH)


console = make_console()


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


class LogLines(logging.Handler):
    """Progress as plain lines: a stream's count when :data:`LOG_EVERY_SECONDS` have passed since its last line,
    and a last line when the engine reports the stream ended, or else when the sync ends (:meth:`finish`)."""

    def __init__(
        self,
        stream_names: Sequence[str],
        write: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        every: float = LOG_EVERY_SECONDS,
    ) -> None:
        super().__init__(logging.DEBUG)
        self.write, self.clock, self.every = write, clock, every
        self.started = clock()
        self.counts = dict.fromkeys(stream_names, 0)
        self.last_line = dict.fromkeys(stream_names, self.started)
        self.ended: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        stream = getattr(record, "stream", None)
        if stream not in self.counts or stream in self.ended:
            return
        self.counts[stream] += getattr(record, "records", 0)
        now = self.clock()
        if getattr(record, "ended", False):
            self._end(stream, "failed" if getattr(record, "failed", False) else "done")
        elif now - self.last_line[stream] >= self.every:
            self.last_line[stream] = now
            self._line(stream, "so far")

    def finish(self) -> None:
        """The last line of every stream the engine did not report ended (the run failed before or around it)."""
        for stream in self.counts:
            if stream not in self.ended:
                self._end(stream, "stopped")

    def _end(self, stream: str, state: str) -> None:
        self.ended.add(stream)
        self._line(stream, state)

    def _line(self, stream: str, state: str) -> None:
        elapsed = self.clock() - self.started
        self.write(f"sync {stream}: {self.counts[stream]:,} records {state} ({elapsed:.0f} s)")


@contextmanager
def sync_progress(stream_names: Sequence[str], out: Console | None = None) -> Iterator[None]:
    out = out or console
    if not out.is_terminal:
        with _progress_lines(stream_names, out):
            yield
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        tasks = {name: progress.add_task(f"{name}: starting") for name in stream_names}
        with _listening(_ProgressHandler(progress, tasks)):
            yield


@contextmanager
def _progress_lines(stream_names: Sequence[str], out: Console) -> Iterator[None]:
    def write(line: str) -> None:
        out.print(line, markup=False, highlight=False)
        out.file.flush()

    handler = LogLines(stream_names, write)
    with _listening(handler):
        try:
            yield
        finally:
            handler.finish()


@contextmanager
def _listening(handler: logging.Handler) -> Iterator[None]:
    previous = progress_log.level
    progress_log.addHandler(handler)
    progress_log.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        progress_log.removeHandler(handler)
        progress_log.setLevel(previous)


def print_summary(outcome: SyncOutcome, out: Console | None = None) -> None:
    out = out or console
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
    out.print(table)
    if outcome.checks:
        failed = [c for c in outcome.checks if not c[2]]
        out.print(f"Asset checks: {len(outcome.checks) - len(failed)} passed, {len(failed)} did not")
        for asset, check, _passed, description in failed:
            out.print(f"  [red]FAIL[/] {asset} {check}: {description}")
    if outcome.failure:
        out.print(f"[red]Sync failed:[/] {outcome.failure}")


def print_not_offered(outcome: SyncOutcome) -> None:
    """One plain line per stream the account's Zendesk plan does not offer (not an error: exit status 0)."""
    for name, why in sorted(outcome.not_offered.items()):
        console.print(f"Not synced: {name}: {why}", markup=False, highlight=False)


def _iso(epoch: int | None) -> str:
    from zd_pipeline.catalogue import to_iso

    return "—" if epoch is None else to_iso(int(epoch))
