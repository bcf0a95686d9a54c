"""The shape of the users and organizations streams as numpy arrays (content is rendered per page).

A user's generator index ``u`` fixes its role: the first ``admins`` are admins, the next ones up to ``agents``
are agents, the rest end users. Ids increase with creation. Users and organizations are created over the three
years before the window but every one is updated inside it (so a sync from the default start date sees all of
them, which keeps every ticket's requester, assignee and organization present in the replica). A bulk update of
``user_bulk_size`` users shares one second; deleted users stay with ``active: false``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zd_pipeline.simulator.rand import draws
from zd_pipeline.simulator.scales import DAY, Scale, Window

SALT_USERS = 21
SALT_ORGS = 22
USER_ID_BASE = 361_000_000_000
ORG_ID_BASE = 362_000_000_000
PRE_HISTORY = 3 * 365 * DAY


@dataclass
class EntityLayout:
    """Created/updated epochs per generator index, plus the stream order (by (updated_at, id))."""

    created: np.ndarray
    updated: np.ndarray
    deleted: np.ndarray
    order: np.ndarray
    position: np.ndarray

    @property
    def count(self) -> int:
        return int(self.created.shape[0])


def _entities(seed: int, salt: int, count: int, window: Window, bulk_size: int, deletable_from: int) -> EntityLayout:
    idx = np.arange(count, dtype=np.int64)
    d = draws(seed, salt, idx, 4)
    first = window.start - PRE_HISTORY
    span = window.end - DAY - first
    created = first + idx * span // count + d[:, 0] % max(span // count, 1)
    lo = np.maximum(created, window.start)
    updated = lo + d[:, 1] % np.maximum(window.end - lo, 1)
    deleted = (idx >= deletable_from) & (d[:, 2] % 100 < 2)
    if bulk_size:
        moment = window.start + int(window.span * 0.6) + 7
        candidates = np.flatnonzero((updated < moment) & ~deleted)
        if candidates.shape[0] > bulk_size:
            candidates = candidates[np.argpartition(d[candidates, 3], bulk_size)[:bulk_size]]
        updated[candidates] = moment
    order = np.lexsort((idx, updated))
    position = np.empty_like(order)
    position[order] = np.arange(count)
    return EntityLayout(created, updated, deleted, order, position)


def build_user_layout(seed: int, scale: Scale, window: Window) -> EntityLayout:
    """Users; only end users are ever deleted."""
    return _entities(seed, SALT_USERS, scale.users, window, scale.user_bulk_size, deletable_from=scale.agents)


def build_org_layout(seed: int, scale: Scale, window: Window) -> EntityLayout:
    """Organizations; none deleted at start (``deleted_at`` stays null)."""
    return _entities(seed, SALT_ORGS, scale.organizations, window, 0, deletable_from=scale.organizations)
