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

from zd_pipeline.simulator import service_levels

STATUSES: tuple[str, ...] = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
NEW, OPEN, PENDING, HOLD, SOLVED, CLOSED, DELETED = range(len(STATUSES))

# Final-status weights (per mille) by audit count; index = status code.
FINAL_WEIGHTS_TWO = (0, 350, 250, 0, 380, 0, 20)
FINAL_WEIGHTS_MANY = (0, 150, 100, 50, 350, 330, 20)

# The second audit's status when a ticket has two audits is its final status; longer paths go
# new -> open -> (pending/open alternating) -> [solved ->] final.
_MIDDLE_CYCLE = (PENDING, OPEN)


@lru_cache(maxsize=512)
def status_path(n_regular: int, final: int) -> tuple[int, ...]:
    """The status after each regular audit (0 = the Create audit). The last entry is always ``final``."""
    if n_regular < 1:
        raise ValueError("a ticket has at least its Create audit")
    if n_regular == 1:
        return (NEW,)
    if n_regular == 2:
        return (NEW, final)
    path = [NEW, OPEN]
    while len(path) < n_regular - 1:
        path.append(_MIDDLE_CYCLE[(len(path) - 2) % 2])
    if final == CLOSED:
        path[-1] = SOLVED
    path.append(final)
    return tuple(path[:n_regular])


def solved_audit(n_regular: int, final: int) -> int | None:
    """Index of the audit that first set ``solved`` (or ``closed``), or None if the ticket was never solved."""
    for k, status in enumerate(status_path(n_regular, final)):
        if status in (SOLVED, CLOSED):
            return k
    return None


# Metric event kinds: (metric, type). The layout decides which apply to a ticket and when; the renderer adds
# the details (sla on apply_sla, status on update_status).
METRIC_KINDS: tuple[tuple[str, str], ...] = (
    ("reply_time", "activate"),
    ("reply_time", "apply_sla"),
    ("resolution_time", "activate"),
    ("resolution_time", "apply_sla"),
    ("agent_work_time", "activate"),
    ("requester_wait_time", "activate"),
    ("reply_time", "breach"),
    ("reply_time", "fulfill"),
    ("requester_wait_time", "pause"),
    ("agent_work_time", "pause"),
    ("resolution_time", "fulfill"),
    ("requester_wait_time", "fulfill"),
    ("agent_work_time", "fulfill"),
    ("agent_work_time", "measure"),
    ("resolution_time", "update_status"),
    ("pausable_update_time", "activate"),
)
KIND_CODE: dict[tuple[str, str], int] = {kind: code for code, kind in enumerate(METRIC_KINDS)}

# SLA targets in minutes by priority (reply, resolution); low priority tickets have no resolution SLA.
PRIORITIES: tuple[str, ...] = service_levels.PRIORITIES
REPLY_TARGET_MINUTES: tuple[int, ...] = tuple(service_levels.policy_for(p).reply_minutes[p] for p in PRIORITIES)
RESOLUTION_TARGET_MINUTES: tuple[int, ...] = tuple(
    service_levels.policy_for(p).resolution_minutes.get(p, 0) for p in PRIORITIES
)
