"""The facts about a ticket that its record and its audits must agree on (requester, assignee, priorities,
tags...), derived in one vectorised pass per page from the layout arrays and index-addressed draws.

:func:`ticket_columns` is the single derivation; the ticket renderer formats its columns straight into bytes and
:class:`FactBook` wraps them as :class:`TicketFacts` for the audit renderer, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.people_layout import USER_ID_BASE
from zd_pipeline.simulator.rand import draws
from zd_pipeline.simulator.render_people import organization_of_users
from zd_pipeline.simulator.scales import Scale
from zd_pipeline.simulator.ticket_layout import SALT_TICKET_CONTENT, TicketLayout

BULK_TAG = "bulk_cleanup"


def ticket_columns(seed: int, scale: Scale, layout: TicketLayout, indices: list[int]) -> dict[str, list[Any]]:
    """Per-ticket values for generator ``indices`` as plain lists (one entry per index, in order)."""
    at = np.asarray(indices, dtype=np.int64)
    d = draws(seed, SALT_TICKET_CONTENT, at, 16)
    requester_index = scale.agents + d[:, 0] % (scale.users - scale.agents)
    n = layout.n_regular[at]
    return {
        "index": indices,
        "n": n.tolist(),
        "final": layout.final[at].tolist(),
        "priority": layout.priority[at].tolist(),
        "first_priority": np.where(n == 1, layout.priority[at], d[:, 10] % 4).tolist(),
        "bulk": (layout.bulk_time[at] > 0).tolist(),
        "created": layout.created[at].tolist(),
        "updated": layout.updated[at].tolist(),
        "generated": layout.generated[at].tolist(),
        "requester": (USER_ID_BASE + requester_index).tolist(),
        "organization": organization_of_users(seed, scale, requester_index.tolist()),
        "assignee": (USER_ID_BASE + d[:, 1] % scale.agents).tolist(),
        "admin": (USER_ID_BASE + d[:, 1] % scale.admins).tolist(),
        "group": (d[:, 2] % len(v.GROUP_IDS)).tolist(),
        "first_group": (np.where(n == 1, d[:, 2], d[:, 15]) % len(v.GROUP_IDS)).tolist(),
        "type": (d[:, 3] % len(v.TICKET_TYPES)).tolist(),
        "subject": (d[:, 4] % len(v.SUBJECTS)).tolist(),
        "channel": (d[:, 5] % len(v.CHANNELS)).tolist(),
        "tag_a": (d[:, 6] % len(v.TAGS)).tolist(),
        "tag_b": ((d[:, 6] >> 8) % len(v.TAGS)).tolist(),
        "product": (d[:, 7] % len(v.PRODUCTS)).tolist(),
        "region": (d[:, 8] % len(v.REGIONS)).tolist(),
        "satisfaction": (d[:, 9] % len(v.SATISFACTION)).tolist(),
        "external": d[:, 11].tolist(),
        "problem": d[:, 12].tolist(),
        "comments": d[:, 13].tolist(),
        "follower": (d[:, 14] % 9 == 0).tolist(),
    }


def first_tags(tag_a: int, tag_b: int) -> tuple[str, ...]:
    return tuple(sorted({v.TAGS[tag_a], v.TAGS[tag_b]}))


@dataclass(slots=True)
class TicketFacts:
    """Everything about ticket ``index`` the audit renderer needs (treat as read-only)."""

    index: int
    id: int
    n_regular: int
    final: int
    requester: int
    assignee: int
    admin: int
    group_id: int
    first_group_id: int
    first_priority: str
    priority: str
    subject: str
    channel: str
    first_tags: tuple[str, ...]
    tags: tuple[str, ...]
    comment_draw: int
    variant: int
    public_bits: int

    def status_after(self, k: int) -> str:
        path = lc.status_path(self.n_regular, self.final, self.variant)
        return lc.STATUSES[path[min(k, len(path) - 1)]]


class FactBook:
    """:class:`TicketFacts` for a batch of tickets (one vectorised pass per page)."""

    def __init__(self, seed: int, scale: Scale, layout: TicketLayout) -> None:
        self.seed, self.scale, self.layout = seed, scale, layout

    def facts(self, indices: list[int]) -> dict[int, TicketFacts]:
        unique = sorted(set(indices))
        if not unique:
            return {}
        c = ticket_columns(self.seed, self.scale, self.layout, unique)
        out = {}
        for j, i in enumerate(unique):
            tags = first_tags(c["tag_a"][j], c["tag_b"][j])
            out[i] = TicketFacts(
                index=i,
                id=i + 1,
                n_regular=c["n"][j],
                final=c["final"][j],
                requester=c["requester"][j],
                assignee=c["assignee"][j],
                admin=c["admin"][j],
                group_id=v.GROUP_IDS[c["group"][j]],
                first_group_id=v.GROUP_IDS[c["first_group"][j]],
                first_priority=lc.PRIORITIES[c["first_priority"][j]],
                priority=lc.PRIORITIES[c["priority"][j]],
                subject=v.SUBJECTS[c["subject"][j]],
                channel=v.CHANNELS[c["channel"][j]],
                first_tags=tags,
                tags=(*tags, BULK_TAG) if c["bulk"][j] else tags,
                comment_draw=c["comments"][j],
                variant=int(self.layout.variant[i]),
                public_bits=int(self.layout.public_bits[i]),
            )
        return out
