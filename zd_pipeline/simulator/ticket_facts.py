"""The facts about a ticket that both its record and its audits must agree on (requester, assignee, priorities,
tags...), derived once per ticket from the layout arrays and index-addressed draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.people_layout import USER_ID_BASE
from zd_pipeline.simulator.rand import draws
from zd_pipeline.simulator.render_people import organization_of_users
from zd_pipeline.simulator.scales import Scale
from zd_pipeline.simulator.ticket_layout import TicketLayout

SALT_TICKET_CONTENT = 12
BULK_TAG = "bulk_cleanup"


@dataclass(slots=True)
class TicketFacts:
    """Everything about ticket ``index`` that more than one renderer needs (treat as read-only)."""

    index: int
    id: int
    n_regular: int
    final: int
    requester: int
    organization_id: int | None
    assignee: int
    admin: int
    group_id: int
    first_priority: str
    priority: str
    subject: str
    channel: str
    first_tags: tuple[str, ...]
    tags: tuple[str, ...]
    bulk: bool
    created: int
    updated: int
    generated: int
    draws: list[int]

    def status_after(self, k: int) -> str:
        path = lc.status_path(self.n_regular, self.final)
        return lc.STATUSES[path[min(k, len(path) - 1)]]


class FactBook:
    """Computes :class:`TicketFacts` for a batch of tickets (vectorised draws, one call per page)."""

    def __init__(self, seed: int, scale: Scale, layout: TicketLayout) -> None:
        self.seed, self.scale, self.layout = seed, scale, layout

    def facts(self, indices: list[int]) -> dict[int, TicketFacts]:
        unique = sorted(set(indices))
        if not unique:
            return {}
        at = np.asarray(unique, dtype=np.int64)
        t, s = self.layout, self.scale
        rows = draws(self.seed, SALT_TICKET_CONTENT, at, 16).tolist()
        requesters = [s.agents + row[0] % (s.users - s.agents) for row in rows]
        orgs = organization_of_users(self.seed, s, requesters)
        columns = zip(
            unique,
            rows,
            requesters,
            orgs,
            t.n_regular[at].tolist(),
            t.final[at].tolist(),
            t.priority[at].tolist(),
            t.bulk_time[at].tolist(),
            t.created[at].tolist(),
            t.updated[at].tolist(),
            t.generated[at].tolist(),
            strict=True,
        )
        return {c[0]: self._one(*c) for c in columns}

    def _one(
        self,
        i: int,
        d: list[int],
        requester: int,
        org: int | None,
        n: int,
        final: int,
        priority: int,
        bulk_time: int,
        created: int,
        updated: int,
        generated: int,
    ) -> TicketFacts:
        s = self.scale
        first_tags = tuple(sorted({v.TAGS[d[6] % len(v.TAGS)], v.TAGS[(d[6] >> 8) % len(v.TAGS)]}))
        bulk = bool(bulk_time)
        return TicketFacts(
            index=i,
            id=i + 1,
            n_regular=n,
            final=final,
            requester=USER_ID_BASE + requester,
            organization_id=org,
            assignee=USER_ID_BASE + d[1] % s.agents,
            admin=USER_ID_BASE + d[1] % s.admins,
            group_id=v.GROUP_IDS[d[2] % len(v.GROUP_IDS)],
            first_priority=lc.PRIORITIES[priority if n == 1 else d[10] % 4],
            priority=lc.PRIORITIES[priority],
            subject=v.SUBJECTS[d[4] % len(v.SUBJECTS)],
            channel=v.CHANNELS[d[5] % len(v.CHANNELS)],
            first_tags=first_tags,
            tags=(*first_tags, BULK_TAG) if bulk else first_tags,
            bulk=bulk,
            created=created,
            updated=updated,
            generated=generated,
            draws=d,
        )
