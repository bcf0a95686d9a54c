"""The shape of the ticket history as numpy arrays: when each ticket was created and updated, how many audits it
has, its final status, and the sorted order of the three ticket-derived streams (tickets, ticket_events,
ticket_metric_events). Content is rendered later, per page, from these arrays and :mod:`rand` draws.

A ticket's generator index ``i`` is its creation order, so its id is ``i + 1`` (ids increase with ``created_at``
as in Zendesk). The first update after creation is the agent's, within 1.25 times the reply-time SLA target of the
ticket's priority (uniformly, from one minute on); it is usually the public first reply, so about a fifth of the
tickets breach that target, as a support team that mostly meets its SLA would, but one in eight is a private note
and the public reply comes later (see :func:`_agent_public_bits`). Later audits are spread evenly up to the last
regular update; a bulk update adds one audit at the bulk's second. ``generated_timestamp`` is later than
``updated_at`` for tickets touched by a system update afterwards (Zendesk bumps only ``generated_timestamp`` then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator.metric_story import StoryInput, derive
from zd_pipeline.simulator.rand import draw_column, draws
from zd_pipeline.simulator.scales import DAY, Scale, Window

SALT_TICKETS = 11
SALT_REPLIES = 13
SALT_TICKET_CONTENT = 12  # ticket_facts' draws; column COMMENT_DRAW decides which agent comments are public
COMMENT_DRAW = 13
EVENT_ID_BASE = 90_000_000_000
EVENT_ID_STRIDE = 32  # room for an audit's child event ids: audit id + 1 + j
METRIC_ID_BASE = 70_000_000_000


@dataclass
class TicketLayout:
    """Per-ticket arrays (indexed by generator index) and the three streams' sorted orders."""

    created: np.ndarray
    first_reply: np.ndarray  # audit 1 (tickets with two or more regular audits)
    last_regular: np.ndarray
    updated: np.ndarray
    generated: np.ndarray
    n_regular: np.ndarray
    final: np.ndarray
    priority: np.ndarray
    bulk_time: np.ndarray
    variant: np.ndarray  # lifecycle.REGULAR / REOPENED / MERGED
    public_bits: np.ndarray  # bit k set: regular audit k is an agent's public comment
    horizon: int  # the window's end: no event is laid out after it
    order: np.ndarray  # tickets stream position -> generator index, sorted by (generated_timestamp, id)
    position: np.ndarray  # generator index -> tickets stream position
    ev_ts: np.ndarray
    ev_ticket: np.ndarray
    ev_k: np.ndarray
    me_ts: np.ndarray
    me_ticket: np.ndarray
    me_code: np.ndarray

    @property
    def count(self) -> int:
        return int(self.created.shape[0])

    def audit_time(self, i: int, k: int) -> int:
        """Epoch of ticket ``i``'s audit ``k`` (see the module docstring; the bulk audit last)."""
        if k >= int(self.n_regular[i]):
            return int(self.bulk_time[i])
        times = _regular_audit_times(self.created[i], self.first_reply[i], self.last_regular[i], self.n_regular[i], k)
        return int(times)

    def story_input(self, indices: np.ndarray) -> StoryInput:
        """What :func:`metric_story.derive` needs about tickets ``indices`` (their audits' times and statuses)."""
        at = np.asarray(indices, dtype=np.int64)
        n, k = self.n_regular[at], np.arange(lc.MAX_REGULAR)
        created = self.created[at]
        times = _regular_audit_times(
            created[:, None], self.first_reply[at][:, None], self.last_regular[at][:, None], n[:, None], k[None, :]
        )
        status = _STATUS_TABLE[self.variant[at][:, None], n[:, None], self.final[at][:, None], k[None, :]]
        public = ((self.public_bits[at][:, None] >> k[None, :]) & 1).astype(bool)
        return StoryInput(created, times, status, public, n, self.priority[at], self.horizon)


_STATUS_TABLE = lc.status_table()


def _agent_public_bits(seed: int, idx: np.ndarray, n: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """Which regular audits carry an agent's public comment: one first update in eight is a private note (the public
    reply comes with a later audit), a third of later agent comments are; the requester's reopening audit and a
    merge's closing note are not public agent comments."""
    draw = draw_column(seed, SALT_TICKET_CONTENT, idx, 16, COMMENT_DRAW)
    bits = np.zeros(idx.shape[0], dtype=np.int64)
    for k in range(1, lc.MAX_REGULAR):
        public = (draw % 8 != 0 if k == 1 else (draw >> k) % 3 != 0) & (k < n)
        public &= ~((variant == lc.REOPENED) & (k == lc.REOPEN_AUDIT))
        public &= ~((variant == lc.MERGED) & (k == n - 1))
        bits |= public.astype(np.int64) << k
    return bits.astype(np.int8)


def _regular_audit_times(created, first_reply, last_regular, n, k):  # numpy arrays or scalars, broadcast
    """Regular audit ``k`` of ``n``: creation, then the first reply, then evenly spread up to the last one."""
    later = first_reply + (last_regular - first_reply) * np.maximum(k - 1, 0) // np.maximum(n - 2, 1)
    return np.where(k == 0, created, np.where(n == 2, last_regular, later))


def _pick(u: np.ndarray, weights: tuple[int, ...]) -> np.ndarray:
    return np.searchsorted(np.cumsum(weights), u, side="right").astype(np.int8)


def build_ticket_layout(seed: int, scale: Scale, window: Window) -> TicketLayout:
    """Lay out ``scale.tickets`` tickets inside ``window``; pure in (seed, scale, window)."""
    n_tickets = scale.tickets
    idx = np.arange(n_tickets, dtype=np.int64)
    d = draws(seed, SALT_TICKETS, idx, 8)
    step = max(window.span // n_tickets, 1)
    created = window.start + idx * window.span // n_tickets + d[:, 0] % step
    age = window.end - created
    n_regular = 1 + d[:, 1] % 5
    n_regular = np.where((age > 5 * DAY) & (n_regular < 3), 3 + d[:, 1] % 3, n_regular)
    n_regular = np.where(age < 900, 1, n_regular)
    u = d[:, 2] % 1000
    several = np.where(n_regular == 2, _pick(u, lc.FINAL_WEIGHTS_TWO), _pick(u, lc.FINAL_WEIGHTS_MANY))
    final = np.where(n_regular == 1, lc.NEW, several).astype(np.int8)
    story = (d[:, 2] >> 16) % 100
    variant = np.where((n_regular == 5) & (final == lc.SOLVED) & (story < 25), lc.REOPENED, lc.REGULAR)
    variant = np.where((n_regular >= 3) & (final == lc.CLOSED) & (story >= 85), lc.MERGED, variant).astype(np.int8)
    max_life = np.maximum(np.minimum(age, 12 * DAY) - 300, 1)
    priority = (d[:, 6] % 4).astype(np.int8)
    reply_target = np.asarray(lc.REPLY_TARGET_MINUTES, dtype=np.int64)[priority] * 60
    reply_delay = 60 + draws(seed, SALT_REPLIES, idx, 1)[:, 0] % (reply_target * 5 // 4 - 60)
    life = np.where(n_regular > 1, 300 + d[:, 3] % max_life, 0)
    life = np.where(n_regular == 2, np.minimum(reply_delay, max_life), life)  # the reply is the only update
    last_regular = created + life
    first_reply = np.where(n_regular > 2, created + np.minimum(reply_delay, life // 2), last_regular)
    system_touch = (d[:, 4] % 100) < 12
    touched = last_regular + 60 + d[:, 5] % (3 * DAY)
    generated = np.where(system_touch & (touched <= window.end), touched, last_regular)
    bulk_time = np.zeros(n_tickets, dtype=np.int64)
    groups = scale.ticket_bulk_sizes
    for g, size in enumerate(groups):
        frac = 0.85 if len(groups) == 1 else 0.35 + 0.5 * g / (len(groups) - 1)
        moment = window.start + int(window.span * frac) + g
        candidates = np.flatnonzero((generated < moment) & (final != lc.DELETED) & (bulk_time == 0))
        if candidates.shape[0] > size:
            candidates = candidates[np.argpartition(d[candidates, 7], size)[:size]]
        chosen = candidates
        bulk_time[chosen] = moment
    bulked = bulk_time > 0
    updated = np.where(bulked, bulk_time, last_regular)
    generated = np.where(bulked, bulk_time, generated)
    ids = idx + 1
    order = np.lexsort((ids, generated))
    position = np.empty_like(order)
    position[order] = np.arange(n_tickets)
    layout = TicketLayout(
        created=created,
        first_reply=first_reply,
        last_regular=last_regular,
        updated=updated,
        generated=generated,
        n_regular=n_regular,
        final=final,
        priority=priority,
        bulk_time=bulk_time,
        variant=variant,
        public_bits=_agent_public_bits(seed, idx, n_regular, variant),
        horizon=window.end,
        order=order,
        position=position,
        ev_ts=np.empty(0, np.int64),
        ev_ticket=np.empty(0, np.int64),
        ev_k=np.empty(0, np.int64),
        me_ts=np.empty(0, np.int64),
        me_ticket=np.empty(0, np.int64),
        me_code=np.empty(0, np.int8),
    )
    _lay_out_audits(layout)
    _lay_out_metric_events(layout)
    return layout


def _composite(ts: np.ndarray, ticket: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """One int64 sort key equal in order to (ts, ticket, minor): a single argsort beats a 3-key lexsort."""
    if ticket.size and (int(ticket.max()) >= 1 << 22 or int(minor.max()) >= 1 << 5):
        raise ValueError("too many tickets for the composite sort key")
    return (ts << np.int64(27)) | (ticket.astype(np.int64) << np.int64(5)) | minor.astype(np.int64)


def _lay_out_audits(t: TicketLayout) -> None:
    audits = t.n_regular + (t.bulk_time > 0)
    ticket = np.repeat(np.arange(t.count, dtype=np.int64), audits)
    starts = np.repeat(np.cumsum(audits) - audits, audits)
    k = np.arange(ticket.shape[0], dtype=np.int64) - starts
    n = t.n_regular[ticket]
    regular = _regular_audit_times(t.created[ticket], t.first_reply[ticket], t.last_regular[ticket], n, k)
    ts = np.where(k >= n, t.bulk_time[ticket], regular)
    order = np.argsort(_composite(ts, ticket, k))
    t.ev_ts, t.ev_ticket, t.ev_k = ts[order], ticket[order].astype(np.int32), k[order].astype(np.int8)


def _lay_out_metric_events(t: TicketLayout) -> None:
    """When each ticket's metric events happen (their details are rendered later from the same derivation)."""
    events = derive(t.story_input(np.arange(t.count)), details=False)
    order = np.argsort(_composite(events.ts, events.row, events.code))
    t.me_ts, t.me_ticket, t.me_code = events.ts[order], events.row[order], events.code[order]
