"""Skill-based routing history: change events of attributes, attribute values and instance values.

Items are change events (docs/zendesk-api.md): ``id`` is the UUID of the object that changed, so an update or a
delete carries its create's id; an instance value (a skill on an agent or a ticket) keeps one id through its
associate and unassociate events. Over the history, attributes and skills are created, renamed (some twice) and
deleted; agents gain skills, some lose one and a few get it back later; tickets get a skill at creation and some
lose it two days later. Everything is a pure function of the seed.

Each stream's events are sorted by (time, id), the export order; no object has two events in one second, so
(time, id) is unique and the cursor ``(ts, id)`` is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zd_pipeline.simulator.isotime import iso as to_iso
from zd_pipeline.simulator.people_layout import USER_ID_BASE
from zd_pipeline.simulator.rand import draws, uuids_for
from zd_pipeline.simulator.scales import DAY, Scale, Window
from zd_pipeline.simulator.ticket_layout import TicketLayout

SALT_ROUTING = 31
SALT_ATTRIBUTE = 32
SALT_VALUE = 33
SALT_INSTANCE = 36

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
ATTRIBUTE_SUFFIXES = ("", " area", " group")  # names by version: created, renamed once, renamed twice
VALUE_SUFFIXES = ("", " (v2)", " (v3)")


def attribute_id(seed: int, attribute: int) -> str:
    return uuids_for(seed, SALT_ATTRIBUTE, [attribute])[0]


def value_id(seed: int, value: int) -> str:
    return uuids_for(seed, SALT_VALUE, [value])[0]


def instance_index(value: Any, instance: Any, on_ticket: Any) -> Any:
    """The index an instance value's id is drawn from: (skill, agent or ticket, which of the two)."""
    return (
        (np.asarray(value, np.int64) << 41) | (np.asarray(on_ticket, np.int64) << 40) | np.asarray(instance, np.int64)
    )


@dataclass
class RoutingEvents:
    """One routing stream's events in export order: ``kind`` indexes the type list, ``a``/``b`` the entities,
    ``ids`` the changed object's UUID."""

    ts: np.ndarray
    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ids: list[str]


def _sorted(ts: Any, kind: Any, a: Any, b: Any, ids: list[str]) -> RoutingEvents:
    """Sorted by (time, id); of two events of one object in one second only the later-listed stays."""
    ts_arr = np.asarray(ts, dtype=np.int64)
    unique: dict[tuple[int, str], int] = {(int(t), i): n for n, (t, i) in enumerate(zip(ts_arr, ids, strict=True))}
    order = np.asarray([unique[key] for key in sorted(unique)], dtype=np.int64)
    return RoutingEvents(
        ts_arr[order], np.asarray(kind)[order], np.asarray(a)[order], np.asarray(b)[order], [ids[n] for n in order]
    )


def _entity_events(rows: list[tuple[int, int, int, int]], ids: list[str]) -> RoutingEvents:
    return _sorted(*zip(*rows, strict=True), ids)


def attribute_events(seed: int, window: Window) -> RoutingEvents:
    """Every attribute created in the first hour; one renamed on day 25 and again on day 40; the legacy one
    deleted on day 20 (``b`` is the name's version)."""
    legacy = len(ATTRIBUTES) - 1
    rows = [(window.start + 600 * a + 60, 0, a, 0) for a in range(len(ATTRIBUTES))]
    rows += [(window.start + 25 * DAY, 1, 1, 1), (window.start + 40 * DAY, 1, 1, 2), (window.start + 40 * DAY, 1, 3, 1)]
    rows += [(window.start + 20 * DAY, 2, legacy, 0)]
    return _entity_events(rows, uuids_for(seed, SALT_ATTRIBUTE, [r[2] for r in rows]))


def attribute_value_events(seed: int, window: Window) -> RoutingEvents:
    """Every skill created on day 0; every fourth renamed on day 30, every sixth again on day 50; the legacy skill
    deleted on day 20 (``b`` is the name's version)."""
    rows = [(window.start + 3600 + 60 * x, 0, x, 0) for x in range(len(VALUES))]
    rows += [(window.start + 30 * DAY + 60 * x, 1, x, 1) for x in range(1, LIVE_VALUES, 4)]
    rows += [(window.start + 50 * DAY + 60 * x, 1, x, 2) for x in range(2, LIVE_VALUES, 6)]
    rows += [(window.start + 20 * DAY - 60, 2, LIVE_VALUES, 0)]
    return _entity_events(rows, uuids_for(seed, SALT_VALUE, [r[2] for r in rows]))


def instance_value_events(seed: int, scale: Scale, window: Window, tickets: TicketLayout) -> RoutingEvents:
    """Agents gain one to three skills on day 1; one in seven loses the first on day 45 and half of those get it
    back on day 60. One ticket in N gets a skill at creation; a third of those lose it two days later (when that
    is still inside the history)."""
    agents = np.arange(scale.agents, dtype=np.int64)
    d = draws(seed, SALT_ROUTING, agents, 4)
    ts, kind, a, b = [], [], [], []

    def add(times: Any, k: int, who: Any, skill: Any) -> None:
        ts.append(np.asarray(times, np.int64))
        kind.append(np.full(len(ts[-1]), k, np.int8))
        a.append(np.asarray(who, np.int64))
        b.append(np.asarray(skill, np.int64))

    for m in range(3):
        chosen = agents[d[:, 0] % 3 >= m]
        add(window.start + DAY + chosen * 30 + m, 0, chosen, d[chosen, m + 1] % LIVE_VALUES)
    leaving = agents[agents % 7 == 3]
    add(window.start + 45 * DAY + leaving * 30, 1, leaving, d[leaving, 1] % LIVE_VALUES)
    back = agents[agents % 14 == 3]
    add(window.start + 60 * DAY + back * 30, 0, back, d[back, 1] % LIVE_VALUES)
    ticket_idx = np.arange(tickets.count, dtype=np.int64)
    td = draws(seed, SALT_ROUTING + 100, ticket_idx, 1)[:, 0]
    skilled = ticket_idx[td % scale.routing_ticket_share == 0]
    skill = (td[skilled] >> 8) % LIVE_VALUES
    add(tickets.created[skilled] + 5, 2, skilled, skill)
    removed_at = tickets.created[skilled] + 2 * DAY
    removed = ((td[skilled] >> 20) % 3 == 0) & (removed_at <= window.end)
    add(removed_at[removed], 3, skilled[removed], skill[removed])
    all_kind, all_a, all_b = np.concatenate(kind), np.concatenate(a), np.concatenate(b)
    ids = uuids_for(seed, SALT_INSTANCE, instance_index(all_b, all_a, all_kind >= 2))
    return _sorted(np.concatenate(ts), all_kind, all_a, all_b, ids)


class RoutingRenderer:
    """Renders one routing stream's events by position (``shape`` is its response key)."""

    def __init__(self, seed: int, events: RoutingEvents, shape: str) -> None:
        self.seed, self.events, self.shape = seed, events, shape

    def event_id(self, position: int) -> str:
        """The changed object's id at ``position`` (the store's id look-up)."""
        return self.events.ids[position]

    def at(self, positions: list[int]) -> list[dict[str, Any]]:
        return [self.render(p) for p in positions]

    def render(self, p: int) -> dict[str, Any]:
        e, seed = self.events, self.seed
        kind, a, b = int(e.kind[p]), int(e.a[p]), int(e.b[p])
        record: dict[str, Any] = {"id": e.ids[p], "time": to_iso(int(e.ts[p]))}
        if self.shape == "attributes":
            record.update(name=ATTRIBUTES[a][0] + ATTRIBUTE_SUFFIXES[b], type=ENTITY_TYPES[kind])
        elif self.shape == "attribute_values":
            attribute, name = VALUES[a]
            record.update(
                attribute_id=attribute_id(seed, attribute), name=name + VALUE_SUFFIXES[b], type=ENTITY_TYPES[kind]
            )
        else:
            instance = USER_ID_BASE + a if kind < 2 else a + 1
            record.update(attribute_value_id=value_id(seed, b), instance_id=str(instance), type=INSTANCE_TYPES[kind])
        return record
