"""Page writes: a DuckDB instance this process keeps per file, and a writer's hold on the file between writes.

A page write attaches the file to a long-lived in-memory DuckDB (creating an instance costs 15-50 ms, its catalog
and built-in functions; attaching ~1 ms) and detaches it afterwards, which checkpoints and releases the file
exactly like closing a connection.

A sync's writer goes further: it keeps the file attached across its writes (:class:`HeldFile`), so each write
costs its SQL and a commit to the write-ahead log, not an attach plus a checkpoint (DuckDB's first checkpoint after
an attach rewrites far more than later ones: measured 84 ms of a 168 ms write of 2,000 tickets into 1,000,000).
It lets go (checkpoint, detach, unlock):

- when its owner says so (:meth:`HeldFile.release`: the sync engine does after a short idle spell and at its end);
- right after a write when someone is waiting for the file (a :meth:`Warehouse.read`, another writer: they
  announce themselves with a shared ``flock`` on ``<file>.waiting``), and then pauses :data:`WAITER_GAP` before
  taking the file again so they get in;
- after a write once it has held the file for ``hold_seconds`` (DuckDB clients that do not announce themselves,
  like the duckdb CLI, find the file free at least that often, and the log replayed after a crash stays short);
- when a write fails (the instance is dropped if detaching fails: closing it releases the file in any state).

Checkpoints vacuum (merge the small row groups writes append, drop deleted rows) only when the writer lets go with
nothing to write (``release(vacuum=True)``: idle, or the end of ``Warehouse.holding``) or at every
:data:`VACUUM_EVERY`-th hold of an instance, and then only if a table written since a release last asked is due
by the policy in :mod:`.vacuum` (enough dead rows or tiny row groups). A hold let go after a write (on time, or for
a waiter) leaves its tables pending for the next vacuuming release, and the end of the hold takes the file again
to ask for them: before stop 22 they were forgotten, so whether a sync ended with a vacuum depended on when its
last write fell.
Vacuuming at every checkpoint rewrote the same rows again and again (200 pages of 2 and 5 per write into 1M
tickets: every write 16.9 s CPU, every 8th 14.1 s, every 64th 11.1 s); vacuuming at a process's first write made
every short incremental sync pay for merging everything the previous sync had appended (2.3 s of a 5.3 s run at
demo scale); vacuuming whenever a sync ended made a full sync of 1,000,000 tickets spend 11.9 s of 60 s merging
row groups no query ran faster on (see :mod:`.vacuum`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from pathlib import Path

import duckdb

from . import connections as cx
from . import vacuum as policy
from .memory import is_out_of_memory, limit_setting, page_budget, vacuum_budget

_log = logging.getLogger(__name__)
VACUUM_EVERY = 64  # holds per vacuuming checkpoint
_VACUUM_TASKS = 100  # DuckDB's default max_vacuum_tasks
WAITER_GAP = 0.1  # seconds a writer leaves the file free after letting a waiter in
VACUUM_TAKE_SECONDS = 5.0  # longest the end of a hold waits to take the file back only to ask for a vacuum
_MAX_INSTANCES = 4
# per file: this process's in-memory DuckDB, how many holds use it now and how many it served
_INSTANCES: dict[Path, list] = {}
_INSTANCES_LOCK = threading.Lock()
_INSTANCES_PID = [os.getpid()]
_INHERITED: list = []


class HeldFile:
    """One writer's hold on ``path``: :meth:`connection` takes the file (writer lock, then attach) unless held,
    :meth:`written` ends the hold when it should after a committed write, :meth:`release` ends it now.

    Not thread-safe: one writer thread uses it (the sync engine's). ``hold_seconds=0`` releases after every write.
    """

    def __init__(self, path: Path, timeout: float, settings: Sequence[str], hold_seconds: float = 0.0) -> None:
        self.path, self.timeout, self.settings, self.hold_seconds = path, timeout, tuple(settings), hold_seconds
        self._stack: ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._instance: duckdb.DuckDBPyConnection | None = None
        self._held_since = 0.0
        self._free_until = 0.0
        self._periodic = False  # this hold is its instance's VACUUM_EVERY-th: its release asks the policy
        self._written: set[tuple[str, str]] = set()  # (schema, table) written since a release last asked the policy
        self._limit: str | None = None  # the memory_limit this hold set last
        self._vacuuming = False  # the last release armed a vacuum (whose budget grows if it runs out)

    @property
    def held(self) -> bool:
        return self._con is not None

    def connection(self, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        """The attached file (catalog ``zd_warehouse`` in use), taking it first if not held, with DuckDB's
        ``memory_limit`` when given. The limit is set only when it differs from the one this hold set last: every
        statement costs the writer the GIL several times, which it waits for while fetchers parse pages."""
        con = self._con if self._con is not None else self._take()
        if memory_limit is not None and memory_limit != self._limit:
            con.execute(limit_setting(memory_limit)).fetchall()
            self._limit = memory_limit
        return con

    def _take(self, timeout: float | None = None) -> duckdb.DuckDBPyConnection:
        """Take the file: writer lock, this process's DuckDB for it, attach, the writer's settings; waiting at most
        ``timeout`` (default: the writer's)."""
        timeout = self.timeout if timeout is None else timeout
        self._limit = None  # a vacuuming release or a new instance may have changed it
        pause = self._free_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        deadline = time.monotonic() + timeout
        stack = ExitStack()
        try:
            stack.enter_context(cx.writer_lock(self.path, deadline, timeout))
            cx.check_writable_database(self.path)
            instance, number = _page_instance(self.path, self.settings)
            stack.callback(_release_instance, self.path, instance)
            self._instance = instance

            def attach() -> duckdb.DuckDBPyConnection:  # a fresh cursor per try: a failed one is closed
                return cx.attach_to(instance.cursor(), self.path)

            con = cx.connect_with_retry(self.path, read_only=False, deadline=deadline, timeout=timeout, attach=attach)
        except BaseException:
            self._drop_instance()
            stack.close()
            raise
        try:
            cx.run_each(con, self.settings)  # again: a vacuuming release may have changed them
            _set_vacuum(con, False)
        except BaseException:
            self._con, self._stack = con, stack
            self.release()
            raise
        self._con, self._stack, self._held_since = con, stack, time.monotonic()
        self._periodic = number % VACUUM_EVERY == VACUUM_EVERY - 1
        return con

    def wrote(self, schema: str, table: str) -> None:
        """Record a committed write to ``schema.table`` (the tables a vacuuming release looks at)."""
        self._written.add((schema, table))

    def after_write(self, *, once: bool) -> None:
        """After a committed write: let go now (``once``) or when the hold is due to end (:meth:`written`).

        The write is committed (in the write-ahead log at worst, which DuckDB replays at the next open), so a
        checkpoint that runs out of memory while letting go is logged and grows the file's page budget; it is not
        raised, which would make the caller apply the write again."""
        try:
            if once:
                self.release()
            else:
                self.written()
        except duckdb.Error as error:
            if not is_out_of_memory(error):
                raise
            _log.warning(
                "the checkpoint after a committed write to %s ran out of DuckDB's memory; the write is kept and "
                "replayed from the log at the next open%s: %s",
                self.path,
                self._grow_budget(error),
                str(error).splitlines()[0],
            )

    def release_vacuuming(self, *, last: bool = False) -> None:
        """Let go with a checkpoint that vacuums if a table written since the last such release is due
        (``release(vacuum=True)``). When the writer already let go without asking (after ``hold_seconds``, or for
        a waiter) and such tables are pending, only the ``last`` release of the hold takes the file again to ask
        (waiting at most :data:`VACUUM_TAKE_SECONDS`): an idle spell leaves them to the next release, so writers
        of concurrent syncs do not pass the file back and forth to ask. Every write is already committed (in the
        write-ahead log at worst), so a checkpoint that fails, say for lack of memory under the file's page budget
        (which then grows), loses nothing: DuckDB replays the log at the next open. It is logged, not raised, so a
        finished sync does not fail on it."""
        taken_to_ask = self._con is None
        if taken_to_ask and not (last and self._written and self._take_to_vacuum()):
            return
        try:
            self.release(vacuum=True, taken_to_ask=taken_to_ask)
        except duckdb.Error as error:
            _log.warning(
                "vacuuming checkpoint of %s failed; committed data is kept and replayed at next open%s: %s",
                self.path,
                self._grow_budget(error),
                error,
            )

    def _take_to_vacuum(self) -> bool:
        """Take the file for a last vacuuming release; False (logged) when it cannot be had within
        :data:`VACUUM_TAKE_SECONDS`: a later sync that writes the table asks again."""
        try:
            self._take(min(self.timeout, VACUUM_TAKE_SECONDS))
        except Exception as error:  # another writer or a reader keeps the file: not worth waiting for
            _log.info("did not take %s back to see whether it needs a vacuum: %s", self.path, error)
            return False
        return True

    def _grow_budget(self, error: duckdb.Error) -> str:
        """When ``error`` is DuckDB running out of memory, grow the budget of what ran out (the vacuum's when the
        failed checkpoint vacuumed, else the page budget) and say so for a log line."""
        budget = vacuum_budget(self.path) if self._vacuuming else page_budget(self.path)
        if not is_out_of_memory(error) or not budget.grow():
            return ""
        return f" (the next {'vacuum gets' if self._vacuuming else 'writes get'} {budget.limit})"

    def written(self) -> None:
        """After a committed write: let go if the hold is due to end (see the module docstring)."""
        if self._con is None:
            return
        if cx.someone_waiting(self.path):
            self.release()
            self._free_until = time.monotonic() + WAITER_GAP
        elif time.monotonic() - self._held_since >= self.hold_seconds:
            self.release()

    def release(self, *, vacuum: bool = False, taken_to_ask: bool = False) -> None:
        """Checkpoint, detach and unlock; no-op when not held. The checkpoint vacuums when ``vacuum`` (the writer
        has nothing to do) or this is a periodic hold, and a table written since a release last asked is due
        (:func:`.vacuum.first_due`); ``taken_to_ask``: the file was taken only for this, with nothing new for the
        checkpoint to write, so a due vacuum needs :func:`.vacuum.nudge`. If detaching fails the instance is
        dropped."""
        con, stack = self._con, self._stack
        self._con = self._stack = None
        if con is None or stack is None:
            return
        asks = vacuum or self._periodic
        written = self._written
        if asks:  # otherwise the tables stay pending for the next release that asks
            self._written = set()
        self._vacuuming = False
        try:
            due = _vacuum_due(con, written) if asks and written else None
            if due is not None:
                self._vacuuming = True
                _set_vacuum(con, True)
                con.execute(limit_setting(_vacuum_limit(self.path))).fetchall()
                if taken_to_ask:
                    policy.nudge(con, cx.CATALOG, *due)
            cx.detach(con)
        except BaseException:
            self._drop_instance()
            raise
        finally:
            stack.close()

    def _drop_instance(self) -> None:
        instance, self._instance = self._instance, None
        if instance is not None:
            _forget_instance(self.path, instance)


def _vacuum_due(con: duckdb.DuckDBPyConnection, written: set[tuple[str, str]]) -> tuple[str, str] | None:
    """The policy's answer (a table due, or None); a failure to read the tables' shape means no vacuum this time
    (the writes are committed; the next release asks again)."""
    try:
        return policy.first_due(con, cx.CATALOG, sorted(written))
    except duckdb.Error as error:
        _log.warning("could not read the table shapes of %s to decide on a vacuum: %s", cx.CATALOG, error)
        return None


def _vacuum_limit(path: Path) -> str:
    """The memory limit of a vacuuming checkpoint: the larger of the file's vacuum and page budgets."""
    return max(vacuum_budget(path), page_budget(path), key=lambda budget: budget.mb).limit


def _set_vacuum(con: duckdb.DuckDBPyConnection, vacuum: bool) -> None:
    """Whether the next checkpoint vacuums; a vacuum also gets :data:`.vacuum.VACUUM_THREADS` threads (the next
    take of the file restores the writer's settings)."""
    con.execute(f"SET max_vacuum_tasks = {_VACUUM_TASKS if vacuum else 0}").fetchall()
    if vacuum:
        con.execute(f"SET threads = {policy.VACUUM_THREADS}").fetchall()


def _page_instance(path: Path, settings: Sequence[str]) -> tuple[duckdb.DuckDBPyConnection, int]:
    """This process's in-memory DuckDB for page writes to ``path`` (created and configured on first use), counted
    in use until :func:`_release_instance`, and the number of holds it served before this one. Idle instances of
    other files beyond :data:`_MAX_INSTANCES` are closed (each holds a few MB)."""
    with _INSTANCES_LOCK:
        if _INSTANCES_PID[0] != os.getpid():  # a forked child never uses (nor closes) its parent's instances
            _INHERITED.extend(_INSTANCES.values())
            _INSTANCES.clear()
            _INSTANCES_PID[0] = os.getpid()
        entry = _INSTANCES.get(path)
        if entry is None:
            idle = [other for other, (_, users, _) in _INSTANCES.items() if users == 0]
            for other in idle[: max(0, len(_INSTANCES) + 1 - _MAX_INSTANCES)]:
                with suppress(duckdb.Error):
                    _INSTANCES.pop(other)[0].close()
            instance = duckdb.connect(":memory:")
            cx.run_each(instance, (*settings, *cx.page_memory_settings(path)))
            entry = [instance, 0, 0]
            _INSTANCES[path] = entry
        entry[1] += 1
        entry[2] += 1
        return entry[0], entry[2] - 1


def _release_instance(path: Path, instance: duckdb.DuckDBPyConnection) -> None:
    with _INSTANCES_LOCK:
        entry = _INSTANCES.get(path)
        if entry is not None and entry[0] is instance:
            entry[1] -= 1


def _forget_instance(path: Path, instance: duckdb.DuckDBPyConnection) -> None:
    """Drop a broken instance: closing it releases the file whatever state it is in; the next hold starts anew."""
    with _INSTANCES_LOCK:
        entry = _INSTANCES.get(path)
        if entry is not None and entry[0] is instance:
            del _INSTANCES[path]
    with suppress(duckdb.Error):
        instance.close()
