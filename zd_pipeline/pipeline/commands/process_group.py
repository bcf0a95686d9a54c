"""Run a command in its own process group until it exits or a stop signal arrives, then leave no process behind.

Why: ``dagster dev`` starts a webserver, a daemon, code servers and (per run) run workers. A signal sent to the
command a user started (Ctrl-C in a terminal, ``kill PID``, a closed terminal's SIGHUP) must stop all of them, but
the shells ``make`` runs do not pass signals on, and ``dagster dev`` maps SIGTERM to its SIGINT handler, which is
"ignore" when it was started as a background job. So the supervisor owns the signals: the child runs in a process
group of its own (the terminal's Ctrl-C reaches only the supervisor), and on a stop signal the whole group gets
SIGINT, as a terminal's Ctrl-C would give a foreground ``dagster dev``: its services shut down through their
shutdown pipes while run workers interrupt their runs and record them as failed. Whatever still runs after that
is terminated, then killed.

On Linux the supervisor is also a "child subreaper" (``prctl``), so a process orphaned inside the tree
re-parents to it instead of to init and is still found by the walk of its descendants.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPT_GRACE_SECONDS = 30.0
TERMINATE_GRACE_SECONDS = 30.0  # a run worker interrupted mid-step records its run's failure
_PR_SET_CHILD_SUBREAPER = 36
_POLL_SECONDS = 0.2


def run_in_process_group(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, interrupt_grace: float = INTERRUPT_GRACE_SECONDS
) -> int:
    """Run ``argv`` until it exits (its exit status) or until SIGINT, SIGTERM or SIGHUP (0 once every process
    it started is gone). A second signal during the clean shutdown skips to terminating the rest."""
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in STOP_SIGNALS}
    _become_subreaper()
    try:
        # Started after the handlers are set: the child then begins with default signal dispositions even when
        # this process was started with SIGINT ignored (a background job of a non-interactive shell).
        child = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, process_group=0)
        try:
            while child.poll() is None and not received:
                _wait(child, _POLL_SECONDS)
        finally:
            stop_tree(child, received, interrupt_grace)
        return 0 if received else int(child.returncode or 0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_tree(child: subprocess.Popen, received: list[int], interrupt_grace: float) -> None:
    """Interrupt ``child``'s process group and give it ``interrupt_grace`` seconds to end (a second stop
    signal cuts that short), then SIGTERM and finally SIGKILL every process left in it or below this process."""
    signals_seen = len(received)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + interrupt_grace
    while time.monotonic() < deadline and len(received) == signals_seen:
        child.poll()  # reaps it once it exits
        if not _leftovers(child.pid):
            break
        time.sleep(_POLL_SECONDS)
    for sig, grace in ((signal.SIGTERM, TERMINATE_GRACE_SECONDS), (signal.SIGKILL, 0.0)):
        left = _leftovers(child.pid)
        if not left:
            break
        for pid in left:
            _signal(pid, sig)
        deadline = time.monotonic() + grace
        while _leftovers(child.pid) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
    child.wait()
    _reap_orphans(exclude=child.pid)


def _leftovers(group: int) -> set[int]:
    """Live processes of ``group`` or below this process (zombies are reaped, not counted)."""
    _reap_orphans(exclude=group)
    table = process_table()
    mine = descendants(os.getpid(), table)
    return {pid for pid, (_ppid, pgrp, state) in table.items() if state != "Z" and (pgrp == group or pid in mine)}


def process_table() -> dict[int, tuple[int, int, str]]:
    """``{pid: (ppid, process group, state)}`` of every process, read from ``/proc`` (Linux)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0])
    return table


def descendants(root: int, table: Mapping[int, tuple[int, int, str]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _pgrp, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            if pid not in found:
                found.add(pid)
                todo.append(pid)
    return found


def _wait(child: subprocess.Popen, seconds: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=seconds)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _reap_orphans(exclude: int | None = None) -> None:
    """Collect the exit status of orphans re-parented here (subreaper), which would otherwise stay zombies."""
    me = os.getpid()
    for pid, (ppid, _pgrp, state) in process_table().items():
        if ppid == me and state == "Z" and pid != exclude:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def _become_subreaper() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
