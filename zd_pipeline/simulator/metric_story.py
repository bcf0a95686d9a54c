"""The ticket metric events a ticket's audits imply, derived the way Zendesk derives them (vectorised over tickets).

One derivation serves the layout build (which keeps only when each event happens) and the renderer (which asks
again for a page's tickets to fill in ``status`` and ``deleted``), so the served events always agree with the
served audits. What Zendesk does, per its ticket metric event reference (see ``docs/metrics.md``):

- every metric is activated when the ticket is created; ``reply_time`` (instance 1) is fulfilled by the first
  *public* comment of an agent, never by a private note or the requester's own comments;
- ``agent_work_time`` runs while the ticket is new or open and ``requester_wait_time`` while it is new, open or
  on-hold: each pauses when the status leaves those (pending; on-hold too for agent work), is activated again when it
  comes back, and is fulfilled when the ticket is solved (or closed without being solved, as a merge does);
- ``resolution_time`` never pauses; it is fulfilled at each solve and activated again when a ticket is reopened;
- a fulfilment comes with an ``update_status`` event carrying the metric's value so far in calendar and business
  minutes (business minutes from the account's schedule, :mod:`service_levels`);
- an SLA policy is applied by priority at creation (``apply_sla``); its breach is scheduled at the target, and a
  breach whose target was met (the metric fulfilled at or before it; for resolution, the final fulfilment) is
  served withdrawn, ``deleted: true``. Breaches are only served once their time has passed within the window
  (the simulator serves no future-dated events).
Assumption: deleting a ticket stops its clocks without an event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import service_levels as sl


def _lookup(*statuses: int) -> np.ndarray:
    """A boolean table indexed by status code (faster than ``np.isin`` on a million codes)."""
    table = np.zeros(len(lc.STATUSES), dtype=bool)
    table[list(statuses)] = True
    return table


_DONE = _lookup(lc.SOLVED, lc.CLOSED)
_CLOCKS = (
    ("agent_work_time", _lookup(lc.NEW, lc.OPEN)),
    ("requester_wait_time", _lookup(lc.NEW, lc.OPEN, lc.HOLD)),
)
_REPLY_TARGET = np.asarray(lc.REPLY_TARGET_MINUTES, dtype=np.int64)
_RESOLUTION_TARGET = np.asarray(lc.RESOLUTION_TARGET_MINUTES, dtype=np.int64)
if any(p.business_hours for p in sl.SLA_POLICIES):
    raise ValueError("breach times are scheduled in calendar time: a business-hours policy needs its own scheduler")


@dataclass
class StoryInput:
    """Per ticket (rows): creation, regular audit times and statuses ``[rows, k]``, which audits are an agent's
    public comment, audit count, priority code; ``horizon``: the latest time events are served."""

    created: np.ndarray
    times: np.ndarray
    status: np.ndarray
    agent_public: np.ndarray
    n: np.ndarray
    priority: np.ndarray
    horizon: int


@dataclass
class MetricEvents:
    """Events as parallel arrays: ``row`` into the input, kind ``code`` (:data:`lifecycle.METRIC_KINDS`), time,
    ``update_status`` minutes (0 elsewhere) and ``deleted`` (breaches withdrawn)."""

    row: np.ndarray
    code: np.ndarray
    ts: np.ndarray
    calendar: np.ndarray
    business: np.ndarray
    deleted: np.ndarray


class _Collector:
    """Gathers emitted events; without ``details`` only (row, code, ts) are kept (the layout build needs no more)."""

    def __init__(self, rows: int, details: bool) -> None:
        self.rows, self.details = rows, details
        self.parts: list[tuple[np.ndarray, ...]] = []

    def emit(self, metric: str, kind: str, mask: np.ndarray, ts: np.ndarray, cal=None, bus=None, deleted=None) -> None:
        chosen = np.flatnonzero(mask)
        part = (
            chosen.astype(np.int32),
            np.full(chosen.shape[0], lc.KIND_CODE[(metric, kind)], dtype=np.int8),
            np.broadcast_to(ts, (self.rows,))[chosen],
        )
        if self.details:
            zero = np.zeros(chosen.shape[0], dtype=np.int64)
            part += (
                zero if cal is None else cal[chosen],
                zero if bus is None else bus[chosen],
                np.zeros(chosen.shape[0], dtype=bool) if deleted is None else deleted[chosen],
            )
        self.parts.append(part)

    def events(self) -> MetricEvents:
        columns = [np.concatenate(column) for column in zip(*self.parts, strict=True)]
        if not self.details:
            empty = np.zeros(columns[0].shape[0], dtype=np.int8)
            columns += [empty, empty, empty.astype(bool)]
        return MetricEvents(*columns)


def derive(s: StoryInput, details: bool = True) -> MetricEvents:
    """Every metric event of the given tickets (unsorted); ``details=False`` leaves minutes and ``deleted`` zero."""
    rows = s.created.shape[0]
    out = _Collector(rows, details)
    everyone = np.ones(rows, dtype=bool)
    resolution_target = _RESOLUTION_TARGET[s.priority]
    for metric in ("reply_time", "resolution_time", "agent_work_time", "requester_wait_time", "pausable_update_time"):
        out.emit(metric, "activate", everyone, s.created)
    out.emit("reply_time", "apply_sla", everyone, s.created)
    out.emit("resolution_time", "apply_sla", resolution_target > 0, s.created)
    business = None
    if details:
        business = sl.business_seconds_before(np.concatenate((s.created[:, None], s.times), axis=1))
    _reply(s, out, business)
    for metric, active in _CLOCKS:
        _clock(s, out, metric, active, business)
    _resolution(s, out, resolution_target, business)
    return out.events()


def _reply(s: StoryInput, out: _Collector, business: np.ndarray | None) -> None:
    """``business``: business seconds before creation (column 0) and before each audit (column k + 1)."""
    k = np.arange(s.times.shape[1])
    public = s.agent_public & (k >= 1) & (k < s.n[:, None])
    replied = public.any(axis=1)
    rows, first = np.arange(s.times.shape[0]), public.argmax(axis=1)
    at = s.times[rows, first]
    spent = None if business is None else (business[rows, first + 1] - business[:, 0]) // 60
    out.emit("reply_time", "fulfill", replied, at)
    out.emit("reply_time", "update_status", replied, at, (at - s.created) // 60, spent)
    due = s.created + _REPLY_TARGET[s.priority] * 60
    out.emit("reply_time", "breach", due <= s.horizon, due, deleted=replied & (at <= due))


def _clock(s: StoryInput, out: _Collector, metric: str, active: np.ndarray, business_before: np.ndarray | None) -> None:
    if business_before is None:
        business_before = np.zeros((s.created.shape[0], s.times.shape[1] + 1), dtype=np.int64)
    since, business_since = s.created.copy(), business_before[:, 0].copy()
    calendar = np.zeros_like(s.created)
    business = np.zeros_like(s.created)
    for k in range(1, s.times.shape[1]):
        valid = k < s.n
        prev, cur, t, b = s.status[:, k - 1], s.status[:, k], s.times[:, k], business_before[:, k + 1]
        was, now = active[prev], active[cur]
        stop = valid & was & ~now
        calendar += np.where(stop, t - since, 0)
        business += np.where(stop, b - business_since, 0)
        solve = valid & _DONE[cur] & ~_DONE[prev]
        out.emit(metric, "pause", stop & ~solve & (cur != lc.DELETED), t)
        out.emit(metric, "fulfill", solve, t)
        out.emit(metric, "update_status", solve, t, calendar // 60, business // 60)
        start = valid & ~was & now
        out.emit(metric, "activate", start, t)
        since, business_since = np.where(start, t, since), np.where(start, b, business_since)


def _resolution(s: StoryInput, out: _Collector, target: np.ndarray, business: np.ndarray | None) -> None:
    last_solve = np.zeros_like(s.created)
    solved_now = np.zeros(s.created.shape[0], dtype=bool)
    for k in range(1, s.times.shape[1]):
        valid = k < s.n
        prev, cur, t = s.status[:, k - 1], s.status[:, k], s.times[:, k]
        solve = valid & _DONE[cur] & ~_DONE[prev]
        reopen = valid & _DONE[prev] & ~_DONE[cur] & (cur != lc.DELETED)
        spent = None if business is None else (business[:, k + 1] - business[:, 0]) // 60
        out.emit("resolution_time", "fulfill", solve, t)
        out.emit("resolution_time", "update_status", solve, t, (t - s.created) // 60, spent)
        out.emit("resolution_time", "activate", reopen, t)
        last_solve = np.where(solve, t, last_solve)
        solved_now = (solved_now | solve) & ~reopen
    due = s.created + target * 60
    out.emit(
        "resolution_time", "breach", (target > 0) & (due <= s.horizon), due, deleted=solved_now & (last_solve <= due)
    )
