"""Builds the simulated account: every catalogue stream as a :class:`StreamStore` over its generated history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator.people_layout import (
    ORG_ID_BASE,
    USER_ID_BASE,
    EntityLayout,
    build_org_layout,
    build_user_layout,
)
from zd_pipeline.simulator.render_people import PeopleRenderer
from zd_pipeline.simulator.render_tickets import TicketRenderer
from zd_pipeline.simulator.routing import (
    RoutingRenderer,
    attribute_events,
    attribute_value_events,
    instance_value_events,
)
from zd_pipeline.simulator.scales import Scale, Window
from zd_pipeline.simulator.store import BaseHistory, StreamStore
from zd_pipeline.simulator.ticket_layout import (
    EVENT_ID_BASE,
    EVENT_ID_STRIDE,
    METRIC_ID_BASE,
    TicketLayout,
    build_ticket_layout,
)


@dataclass
class World:
    """The stores plus the layouts mutations need (id ranges, counts)."""

    scale: Scale
    window: Window
    tickets: TicketLayout
    users: EntityLayout
    orgs: EntityLayout
    stores: dict[str, StreamStore]
    routing: dict[str, RoutingRenderer]


def _lookup(base: int, layout_position: np.ndarray) -> Callable[[object], int | None]:
    count = int(layout_position.shape[0])

    def position_of(record_id: object) -> int | None:
        if isinstance(record_id, int) and base <= record_id < base + count:
            return int(layout_position[record_id - base])
        return None

    return position_of


def build_world(seed: int, scale: Scale, window: Window) -> World:
    """Lay out and wire every stream; pure in (seed, scale, window)."""
    t = build_ticket_layout(seed, scale, window)
    users, orgs = build_user_layout(seed, scale, window), build_org_layout(seed, scale, window)
    tr = TicketRenderer(seed, scale, t)
    people = PeopleRenderer(seed, scale, users, orgs)
    t_order, u_order, o_order = t.order, users.order, orgs.order
    bases = {
        "tickets": BaseHistory(
            t.generated[t_order],
            tr.tickets_at,
            lambda p: int(t_order[p]) + 1,
            _lookup(1, t.position),
            (t.final == lc.DELETED)[t_order],
            render_json=tr.tickets_json_at,
        ),
        "ticket_events": BaseHistory(t.ev_ts, tr.audits_at, lambda p: EVENT_ID_BASE + p * EVENT_ID_STRIDE),
        "ticket_metric_events": BaseHistory(t.me_ts, tr.metric_events_at, lambda p: METRIC_ID_BASE + p),
        "users": BaseHistory(
            users.updated[u_order],
            people.users_at,
            lambda p: USER_ID_BASE + int(u_order[p]),
            _lookup(USER_ID_BASE, users.position),
            users.deleted[u_order],
        ),
        "organizations": BaseHistory(
            orgs.updated[o_order],
            people.orgs_at,
            lambda p: ORG_ID_BASE + int(o_order[p]),
            _lookup(ORG_ID_BASE, orgs.position),
        ),
    }
    routing_events = {
        "routing_attributes": ("attributes", attribute_events(seed, window)),
        "routing_attribute_values": ("attribute_values", attribute_value_events(seed, window)),
        "routing_instance_values": ("instance_values", instance_value_events(seed, scale, window, t)),
    }
    routing: dict[str, RoutingRenderer] = {}
    for name, (shape, events) in routing_events.items():
        renderer = RoutingRenderer(seed, events, shape)
        routing[name] = renderer
        bases[name] = BaseHistory(events.ts, renderer.at, renderer.event_id)
    stores = {name: StreamStore(STREAMS[name], bases[name]) for name in STREAMS}
    return World(scale, window, t, users, orgs, stores, routing)
