"""Skill-based routing history: change events of attributes, attribute values and instance values.

Assumption (NOTES.md): items are change events with a UUID string ``id``, a ``time`` and a ``type``. Event ids
are UUID-shaped and sort like (time, position), so "sorted by (time, id)" is the stream order. Entity ids
(``attribute_id``, ``attribute_value_id``) are stable random UUIDs; ``instance_id`` is the agent's or ticket's id
as a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zd_pipeline.simulator.isotime import iso as to_iso
from zd_pipeline.simulator.people_layout import USER_ID_BASE
from zd_pipeline.simulator.rand import draws, ordered_uuid, uuid_for
from zd_pipeline.simulator.scales import DAY, Scale, Window
from zd_pipeline.simulator.ticket_layout import TicketLayout

SALT_ROUTING = 31
SALT_ATTRIBUTE = 32
SALT_VALUE = 33
SALT_EVENT_NOISE = 34

ATTRIBUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Language", ("English", "German", "French", "Spanish", "Japanese")),
    ("Product", ("Billing", "Mobile app", "API", "Integrations")),
    ("Region", ("EMEA", "AMER", "APAC")),
    ("Tier", ("Enterprise", "Growth", "Starter")),
    ("Channel", ("Email", "Chat", "Phone")),
    ("Legacy queue", ("Overflow",)),  # created, then deleted with its value
)
VALUES: tuple[tuple[int, str], ...] = tuple((a, name) for a, (_, names) in enumerate(ATTRIBUTES) for name in names)
LIVE_VALUES = len(VALUES) - 1
ENTITY_TYPES = ("create", "update", "delete")
INSTANCE_TYPES = ("associate_agent", "unassociate_agent", "associate_ticket", "unassociate_ticket")


@dataclass
class RoutingEvents:
    """One routing stream's events, sorted by time: ``kind`` indexes the type list, ``a``/``b`` the entities."""

    ts: np.ndarray
    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _sorted(ts: Any, kind: Any, a: Any, b: Any) -> RoutingEvents:
    ts_arr = np.asarray(ts, dtype=np.int64)
    order = np.argsort(ts_arr, kind="stable")
    return RoutingEvents(ts_arr[order], np.asarray(kind)[order], np.asarray(a)[order], np.asarray(b)[order])


def attribute_events(window: Window) -> RoutingEvents:
    legacy = len(ATTRIBUTES) - 1
    rows = [(window.start + 600 * a + 60, 0, a, 0) for a in range(len(ATTRIBUTES))]
    rows += [(window.start + 40 * DAY, 1, 1, 1), (window.start + 20 * DAY, 2, legacy, 0)]
    return _sorted(*zip(*rows, strict=True))


def attribute_value_events(window: Window) -> RoutingEvents:
    rows = [(window.start + 3600 + 60 * x, 0, x, 0) for x in range(len(VALUES))]
    rows += [(window.start + 30 * DAY + 60 * x, 1, x, 1) for x in range(1, LIVE_VALUES, 4)]
    rows += [(window.start + 20 * DAY - 60, 2, LIVE_VALUES, 0)]
    return _sorted(*zip(*rows, strict=True))


def instance_value_events(seed: int, scale: Scale, window: Window, tickets: TicketLayout) -> RoutingEvents:
    """Agents gain one to three skills early on (some lose one later); one ticket in N gets a skill at creation."""
    agents = np.arange(scale.agents, dtype=np.int64)
    d = draws(seed, SALT_ROUTING, agents, 4)
    ts, kind, a, b = [], [], [], []
    for m in range(3):
        mask = d[:, 0] % 3 >= m
        chosen = agents[mask]
        ts.append(window.start + DAY + chosen * 30 + m)
        kind.append(np.zeros(chosen.shape[0], np.int8))
        a.append(chosen)
        b.append(d[mask, m + 1] % LIVE_VALUES)
    leaving = agents[agents % 7 == 3]
    ts.append(window.start + 45 * DAY + leaving * 30)
    kind.append(np.ones(leaving.shape[0], np.int8))
    a.append(leaving)
    b.append(d[leaving, 1] % LIVE_VALUES)
    ticket_idx = np.arange(tickets.count, dtype=np.int64)
    td = draws(seed, SALT_ROUTING + 100, ticket_idx, 1)[:, 0]
    skilled = ticket_idx[td % scale.routing_ticket_share == 0]
    ts.append(tickets.created[skilled] + 5)
    kind.append(np.full(skilled.shape[0], 2, np.int8))
    a.append(skilled)
    b.append((td[skilled] >> 8) % LIVE_VALUES)
    return _sorted(np.concatenate(ts), np.concatenate(kind), np.concatenate(a), np.concatenate(b))


class RoutingRenderer:
    """Renders routing events by position; ``offset`` keeps event ids unique across the three streams."""

    def __init__(self, seed: int, events: RoutingEvents, offset: int, shape: str) -> None:
        self.seed, self.events, self.offset, self.shape = seed, events, offset, shape

    def event_id(self, position: int) -> str:
        high, low = (int(x) for x in draws(self.seed, SALT_EVENT_NOISE, [self.offset + position], 2)[0])
        return ordered_uuid(int(self.events.ts[position]), self.offset + position, high << 32 | low)

    def at(self, positions: list[int]) -> list[dict[str, Any]]:
        return [self.render(p) for p in positions]

    def render(self, p: int) -> dict[str, Any]:
        e, seed = self.events, self.seed
        kind, a, b = int(e.kind[p]), int(e.a[p]), int(e.b[p])
        record: dict[str, Any] = {"id": self.event_id(p), "time": to_iso(int(e.ts[p]))}
        if self.shape == "attributes":
            name = ATTRIBUTES[a][0] + (" area" if b else "")
            record.update(attribute_id=uuid_for(seed, SALT_ATTRIBUTE, a), name=name, type=ENTITY_TYPES[kind])
        elif self.shape == "attribute_values":
            attribute, name = VALUES[a]
            record.update(
                attribute_value_id=uuid_for(seed, SALT_VALUE, a),
                attribute_id=uuid_for(seed, SALT_ATTRIBUTE, attribute),
                name=name + (" (v2)" if b else ""),
                type=ENTITY_TYPES[kind],
            )
        else:
            instance = USER_ID_BASE + a if kind < 2 else a + 1
            record.update(
                attribute_value_id=uuid_for(seed, SALT_VALUE, b), instance_id=str(instance), type=INSTANCE_TYPES[kind]
            )
        return record
