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

_DONE = (lc.SOLVED, lc.CLOSED)
_CLOCKS = (
    ("agent_work_time", (lc.NEW, lc.OPEN)),
    ("requester_wait_time", (lc.NEW, lc.OPEN, lc.HOLD)),
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
    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.parts: list[tuple[np.ndarray, ...]] = []

    def emit(self, metric: str, kind: str, mask: np.ndarray, ts: np.ndarray, cal=None, bus=None, deleted=None) -> None:
        chosen = np.flatnonzero(mask)
        zero = np.zeros(chosen.shape[0], dtype=np.int64)
        self.parts.append(
            (
                chosen,
                np.full(chosen.shape[0], lc.KIND_CODE[(metric, kind)], dtype=np.int8),
                np.broadcast_to(ts, (self.rows,))[chosen],
                zero if cal is None else cal[chosen],
                zero if bus is None else bus[chosen],
                np.zeros(chosen.shape[0], dtype=bool) if deleted is None else deleted[chosen],
            )
        )

    def events(self) -> MetricEvents:
        columns = [np.concatenate(column) for column in zip(*self.parts, strict=True)]
        return MetricEvents(*columns)


def derive(s: StoryInput) -> MetricEvents:
    """Every metric event of the given tickets (unsorted)."""
    rows = s.created.shape[0]
    out = _Collector(rows)
    everyone = np.ones(rows, dtype=bool)
    resolution_target = _RESOLUTION_TARGET[s.priority]
    for metric in ("reply_time", "resolution_time", "agent_work_time", "requester_wait_time", "pausable_update_time"):
        out.emit(metric, "activate", everyone, s.created)
    out.emit("reply_time", "apply_sla", everyone, s.created)
    out.emit("resolution_time", "apply_sla", resolution_target > 0, s.created)
    _reply(s, out)
    for metric, active in _CLOCKS:
        _clock(s, out, metric, np.asarray(active))
    _resolution(s, out, resolution_target)
    return out.events()


def _business(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return sl.business_minutes(start, end)


def _reply(s: StoryInput, out: _Collector) -> None:
    k = np.arange(s.times.shape[1])
    public = s.agent_public & (k >= 1) & (k < s.n[:, None])
    replied = public.any(axis=1)
    at = s.times[np.arange(s.times.shape[0]), public.argmax(axis=1)]
    out.emit("reply_time", "fulfill", replied, at)
    out.emit("reply_time", "update_status", replied, at, (at - s.created) // 60, _business(s.created, at))
    due = s.created + _REPLY_TARGET[s.priority] * 60
    out.emit("reply_time", "breach", due <= s.horizon, due, deleted=replied & (at <= due))


def _clock(s: StoryInput, out: _Collector, metric: str, active: np.ndarray) -> None:
    since = s.created.copy()
    calendar = np.zeros_like(s.created)
    business = np.zeros_like(s.created)
    for k in range(1, s.times.shape[1]):
        valid = k < s.n
        prev, cur, t = s.status[:, k - 1], s.status[:, k], s.times[:, k]
        was, now = np.isin(prev, active), np.isin(cur, active)
        stop = valid & was & ~now
        calendar += np.where(stop, t - since, 0)
        business += np.where(stop, sl.business_seconds_before(t) - sl.business_seconds_before(since), 0)
        solve = valid & np.isin(cur, _DONE) & ~np.isin(prev, _DONE)
        out.emit(metric, "pause", stop & ~solve & (cur != lc.DELETED), t)
        out.emit(metric, "fulfill", solve, t)
        out.emit(metric, "update_status", solve, t, calendar // 60, business // 60)
        start = valid & ~was & now
        out.emit(metric, "activate", start, t)
        since = np.where(start, t, since)


def _resolution(s: StoryInput, out: _Collector, target: np.ndarray) -> None:
    last_solve = np.zeros_like(s.created)
    solved_now = np.zeros(s.created.shape[0], dtype=bool)
    for k in range(1, s.times.shape[1]):
        valid = k < s.n
        prev, cur, t = s.status[:, k - 1], s.status[:, k], s.times[:, k]
        solve = valid & np.isin(cur, _DONE) & ~np.isin(prev, _DONE)
        reopen = valid & np.isin(prev, _DONE) & ~np.isin(cur, _DONE) & (cur != lc.DELETED)
        out.emit("resolution_time", "fulfill", solve, t)
        out.emit("resolution_time", "update_status", solve, t, (t - s.created) // 60, _business(s.created, t))
        out.emit("resolution_time", "activate", reopen, t)
        last_solve = np.where(solve, t, last_solve)
        solved_now = (solved_now | solve) & ~reopen
    due = s.created + target * 60
    out.emit(
        "resolution_time", "breach", (target > 0) & (due <= s.horizon), due, deleted=solved_now & (last_solve <= due)
    )
