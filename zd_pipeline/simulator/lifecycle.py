"""Ticket lifecycles: the status path a ticket walks through its audits, and the metric events it emits.

Both the vectorised layout build (which needs only counts and times) and the per-record renderers (which need
the content) read these tables, so a ticket's audits always lead to its current status: the analytics layer
derives backlog history from the ``status`` Change events and must land on the ticket's ``status``.

Assumptions about Zendesk (from its public docs): a ticket starts ``new``; the first agent update opens it and
assigns it; ``closed`` follows ``solved``; deletion is a status Change to ``deleted``; bulk updates write one
audit per ticket at the same second.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from zd_pipeline.simulator import service_levels

STATUSES: tuple[str, ...] = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
NEW, OPEN, PENDING, HOLD, SOLVED, CLOSED, DELETED = range(len(STATUSES))

# Final-status weights (per mille) by audit count; index = status code.
FINAL_WEIGHTS_TWO = (0, 350, 250, 0, 380, 0, 20)
FINAL_WEIGHTS_MANY = (0, 150, 100, 50, 350, 330, 20)

# The second audit's status when a ticket has two audits is its final status; longer paths go
# new -> open -> (pending/open alternating) -> [solved ->] final.
_MIDDLE_CYCLE = (PENDING, OPEN)

# Story variants: a regular ticket; one reopened after it was solved (five audits: new, open, solved, reopened
# by the requester at audit 3, solved again); one closed by a merge into another ticket (closed straight from its
# last status, never solved, with the agent's private merge note).
REGULAR, REOPENED, MERGED = range(3)
REOPEN_AUDIT = 3  # the requester's audit that reopens a REOPENED ticket


@lru_cache(maxsize=512)
def status_path(n_regular: int, final: int, variant: int = REGULAR) -> tuple[int, ...]:
    """The status after each regular audit (0 = the Create audit). The last entry is always ``final``."""
    if n_regular < 1:
        raise ValueError("a ticket has at least its Create audit")
    if n_regular == 1:
        return (NEW,)
    if n_regular == 2:
        return (NEW, final)
    if variant == REOPENED:
        if n_regular != 5 or final != SOLVED:
            raise ValueError("a reopened ticket has five audits and ends solved")
        return (NEW, OPEN, SOLVED, OPEN, SOLVED)
    path = [NEW, OPEN]
    while len(path) < n_regular - 1:
        path.append(_MIDDLE_CYCLE[(len(path) - 2) % 2])
    if final == CLOSED and variant != MERGED:
        path[-1] = SOLVED
    path.append(final)
    return tuple(path[:n_regular])


def solved_audit(n_regular: int, final: int, variant: int = REGULAR) -> int | None:
    """Index of the audit that first set ``solved`` (or ``closed``), or None if the ticket was never solved."""
    for k, status in enumerate(status_path(n_regular, final, variant)):
        if status in (SOLVED, CLOSED):
            return k
    return None


MAX_REGULAR = 5  # the layout gives a ticket at most five regular audits


def status_table() -> np.ndarray:
    """``[variant, n, final, k]`` -> status after audit ``k`` (the vectorised form of :func:`status_path`)."""
    table = np.zeros((3, MAX_REGULAR + 1, len(STATUSES), MAX_REGULAR), dtype=np.int8)
    for variant in (REGULAR, REOPENED, MERGED):
        for n in range(1, MAX_REGULAR + 1):
            for final in range(len(STATUSES)):
                try:
                    path = status_path(n, final, variant)
                except ValueError:
                    continue
                table[variant, n, final, : len(path)] = path
                table[variant, n, final, len(path) :] = path[-1]
    return table


# Metric event kinds: (metric, type), in the order events of one ticket at one second are listed. The renderer
# adds the details (sla on apply_sla, status on update_status, deleted on breach).
METRIC_KINDS: tuple[tuple[str, str], ...] = (
    ("reply_time", "activate"),
    ("reply_time", "apply_sla"),
    ("resolution_time", "activate"),
    ("resolution_time", "apply_sla"),
    ("agent_work_time", "activate"),
    ("requester_wait_time", "activate"),
    ("pausable_update_time", "activate"),
    ("agent_work_time", "pause"),
    ("requester_wait_time", "pause"),
    ("reply_time", "fulfill"),
    ("reply_time", "update_status"),
    ("resolution_time", "fulfill"),
    ("resolution_time", "update_status"),
    ("requester_wait_time", "fulfill"),
    ("requester_wait_time", "update_status"),
    ("agent_work_time", "fulfill"),
    ("agent_work_time", "update_status"),
    ("reply_time", "breach"),
    ("resolution_time", "breach"),
)
KIND_CODE: dict[tuple[str, str], int] = {kind: code for code, kind in enumerate(METRIC_KINDS)}

# SLA targets in minutes by priority (reply, resolution); low priority tickets have no resolution SLA.
PRIORITIES: tuple[str, ...] = service_levels.PRIORITIES
REPLY_TARGET_MINUTES: tuple[int, ...] = tuple(service_levels.policy_for(p).reply_minutes[p] for p in PRIORITIES)
RESOLUTION_TARGET_MINUTES: tuple[int, ...] = tuple(
    service_levels.policy_for(p).resolution_minutes.get(p, 0) for p in PRIORITIES
)
