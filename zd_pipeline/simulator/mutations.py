"""Changes "now": updates, creations and deletions written into the stores so incremental syncs have work.

Every change in one call shares one timestamp ``T`` (a bulk change: a same-second group), strictly newer than
anything stored, so stores stay in export order. Each ticket change writes the new ticket version, one audit
(ticket event) whose Change child events lead to the new status, and the metric events the change implies.
Users and organizations are updated and created alongside (a quarter / a tenth as many as tickets); deleted
users keep their row with ``active: false``; routing gets skill events.
"""

from __future__ import annotations

import random
from typing import Any

from zd_pipeline.catalogue import WriteMode
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.isotime import iso
from zd_pipeline.simulator.lifecycle import STATUSES
from zd_pipeline.simulator.people_layout import ORG_ID_BASE, USER_ID_BASE
from zd_pipeline.simulator.rand import draws, uuids_for
from zd_pipeline.simulator.render_tickets import audit_record, child, comment, flag_comments, metric_event_record
from zd_pipeline.simulator.routing import (
    LIVE_VALUES,
    SALT_INSTANCE,
    SALT_ROUTING,
    VALUES,
    attribute_id,
    instance_index,
    value_id,
)
from zd_pipeline.simulator.store import StreamStore
from zd_pipeline.simulator.ticket_layout import EVENT_ID_BASE, EVENT_ID_STRIDE, METRIC_ID_BASE
from zd_pipeline.simulator.world import World

# Which status an update moves a ticket to, by current status (closed tickets are never updated).
NEXT_STATUS = {
    "new": ("open",),
    "open": ("pending", "solved", "open"),
    "pending": ("open", "solved"),
    "hold": ("open",),
    "solved": ("closed", "open"),
}
PRIORITY_INDEX = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _share(n: int, divisor: int) -> int:
    return 0 if n <= 0 else max(1, n // divisor)


class Mutator:
    """Applies mutations to a :class:`World`; the caller holds the simulator's lock."""

    def __init__(self, world: World, seed: int) -> None:
        self.world, self.seed = world, seed
        s = world.stores
        self.next_ticket_id = world.tickets.count + 1
        self.next_user = world.users.count
        self.next_org = world.orgs.count
        self.next_audit_id = EVENT_ID_BASE + len(s["ticket_events"]) * EVENT_ID_STRIDE
        self.next_metric_id = METRIC_ID_BASE + len(s["ticket_metric_events"])
        self.last_ts = 0
        self.calls = 0
        self.unassociated: set[str] = set()  # agents' skills taken away by mutations

    def mutate(self, now: float, updates: int, creates: int, deletes: int, seed: int | None) -> dict[str, dict]:
        rng = random.Random(seed if seed is not None else self.seed * 7_919 + self.calls)
        self.calls += 1
        ts = max(int(now), self.last_ts + 1)
        self.last_ts = ts
        touched: dict[str, dict[str, list[Any]]] = {
            name: {"created": [], "updated": [], "deleted": []} for name in self.world.stores
        }
        writes: dict[str, list[dict[str, Any]]] = {name: [] for name in self.world.stores}
        picked = self._pick_tickets(rng, updates + deletes)
        for n, current in enumerate(picked):
            self._change_ticket(rng, ts, current, "deleted" if n >= len(picked) - deletes else None, writes)
        for _ in range(creates):
            self._create_ticket(rng, ts, writes)
        self._people(rng, ts, _share(updates, 4), _share(creates, 4), _share(deletes, 4), writes)
        if updates or creates or deletes:
            self._routing(rng, ts, writes)
        for name, records in writes.items():
            store = self.world.stores[name]
            for record in sorted(records, key=lambda r: r[store.stream.primary_key]):
                record_id = record[store.stream.primary_key]
                touched[name][self._kind(store, record)].append(record_id)
                store.write(record)
        return touched

    @staticmethod
    def _kind(store: StreamStore, record: dict[str, Any]) -> str:
        """created / updated / deleted, judged before the write (events are always created)."""
        tomb = store.stream.tombstone
        deleted = tomb is not None and tomb.marks(record.get(tomb.field))
        if store.stream.history_key:  # a change event says what it is
            return "deleted" if deleted else "updated" if record.get("type") == "update" else "created"
        if store.stream.write_mode is WriteMode.APPEND or not store.knows(record[store.stream.primary_key]):
            return "created"
        return "deleted" if deleted else "updated"

    # --- tickets ------------------------------------------------------------------------------------------------

    def _pick_tickets(self, rng: random.Random, count: int) -> list[dict[str, Any]]:
        store, chosen, seen = self.world.stores["tickets"], [], set()
        for _ in range(count * 50):
            if len(chosen) >= count:
                break
            ticket_id = rng.randrange(1, self.next_ticket_id)
            if ticket_id in seen:
                continue
            seen.add(ticket_id)
            current = store.latest(ticket_id)
            if current is not None and current["status"] not in ("closed", "deleted"):
                chosen.append(current)
        return chosen

    def _audit(self, writes: dict, ticket_id: int, ts: int, updater: int, children_fn: Any) -> int:
        audit_id = self.next_audit_id
        self.next_audit_id += EVENT_ID_STRIDE
        children = children_fn(audit_id)
        writes["ticket_events"].append(audit_record(ticket_id, audit_id, ts, updater, "web", children))
        return audit_id

    def _metric(self, writes: dict, ticket: dict[str, Any], metric: str, kind: str, ts: int) -> None:
        priority = PRIORITY_INDEX[ticket["priority"]]
        record = metric_event_record(self.next_metric_id, ticket["id"], metric, kind, ts, priority)
        self.next_metric_id += 1
        writes["ticket_metric_events"].append(record)

    def _change_ticket(self, rng: random.Random, ts: int, current: dict, forced: str | None, writes: dict) -> None:
        before = current["status"]
        after = forced or rng.choice(NEXT_STATUS[before])
        new = {**current, "status": after, "updated_at": iso(ts), "generated_timestamp": ts}
        new["custom_status_id"] = v.CUSTOM_STATUS_IDS[STATUSES.index(after)]
        assignee = current["assignee_id"] or self._agent(rng)
        new["assignee_id"] = assignee
        if after in ("solved", "closed") and new["satisfaction_rating"] is None:
            new["satisfaction_rating"] = {"score": "offered"}

        def children(audit_id: int) -> list[dict[str, Any]]:
            body = rng.choice(v.COMMENTS)
            out = [comment(audit_id, 0, assignee, body, True, iso(ts), "web")]
            if after != before:
                out.append(child(audit_id, len(out), "web", "Change", "status", after, before))
            if current["assignee_id"] != assignee:
                out.append(child(audit_id, len(out), "web", "Change", "assignee_id", str(assignee), None))
            return flag_comments(out, True, True)

        self._audit(writes, new["id"], ts, assignee, children)
        writes["tickets"].append(new)
        if before == "new":
            self._metric(writes, new, "reply_time", "fulfill", ts)
        if after == "pending":
            self._metric(writes, new, "requester_wait_time", "pause", ts)
            self._metric(writes, new, "agent_work_time", "pause", ts)
        if after == "solved":
            for metric in ("resolution_time", "requester_wait_time", "agent_work_time"):
                self._metric(writes, new, metric, "fulfill", ts)

    def _create_ticket(self, rng: random.Random, ts: int, writes: dict) -> None:
        template = self.world.stores["tickets"].records([0])[0]
        ticket_id, self.next_ticket_id = self.next_ticket_id, self.next_ticket_id + 1
        requester = self._end_user(rng)
        subject = rng.choice(v.SUBJECTS)
        tags = sorted({rng.choice(v.TAGS), rng.choice(v.TAGS)})
        group = rng.choice(v.GROUP_IDS)
        priority = rng.choice(("low", "normal", "high", "urgent"))
        ticket = {
            **template,
            "url": f"{v.ACCOUNT_URL}/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": None,
            "created_at": iso(ts),
            "updated_at": iso(ts),
            "generated_timestamp": ts,
            "type": "question",
            "subject": subject,
            "raw_subject": subject,
            "description": f"{subject}. Ticket reference {ticket_id}.",
            "priority": priority,
            "status": "new",
            "custom_status_id": v.CUSTOM_STATUS_IDS[STATUSES.index("new")],
            "ticket_form_id": v.TICKET_FORM_IDS[0],
            "requester_id": requester,
            "submitter_id": requester,
            "assignee_id": None,
            "organization_id": self._org_of(requester),
            "group_id": group,
            "follower_ids": [],
            "problem_id": None,
            "due_at": None,
            "tags": tags,
            "satisfaction_rating": None,
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        }

        def children(audit_id: int) -> list[dict[str, Any]]:
            out = [comment(audit_id, 0, requester, ticket["description"], True, iso(ts), "web")]
            fields = (
                ("subject", subject),
                ("status", "new"),
                ("priority", priority),
                ("group_id", str(group)),
                ("requester_id", str(requester)),
                ("tags", tags),
            )
            out += [child(audit_id, j, "web", "Create", name, value) for j, (name, value) in enumerate(fields, 1)]
            return flag_comments(out, True, True)

        self._audit(writes, ticket_id, ts, requester, children)
        writes["tickets"].append(ticket)
        for metric, kind in (
            ("reply_time", "activate"),
            ("reply_time", "apply_sla"),
            ("resolution_time", "activate"),
            ("agent_work_time", "activate"),
        ):
            self._metric(writes, ticket, metric, kind, ts)

    # --- people and routing -------------------------------------------------------------------------------------

    def _agent(self, rng: random.Random) -> int:
        return self._user_id(rng.randrange(self.world.scale.agents))

    def _end_user(self, rng: random.Random) -> int:
        return self._user_id(rng.randrange(self.world.scale.agents, self.world.scale.users))

    @staticmethod
    def _user_id(u: int) -> int:
        return USER_ID_BASE + u

    def _org_of(self, user_id: int) -> int | None:
        user = self.world.stores["users"].latest(user_id)
        return None if user is None else user["organization_id"]

    def _people(self, rng: random.Random, ts: int, updates: int, creates: int, deletes: int, writes: dict) -> None:
        users, orgs = self.world.stores["users"], self.world.stores["organizations"]
        for n in range(updates + deletes):
            current = users.latest(self._end_user(rng))
            if current is None or any(w["id"] == current["id"] for w in writes["users"]):
                continue
            change = {"active": False} if n >= updates else {"tags": sorted({*current["tags"], "updated"})}
            writes["users"].append({**current, **change, "updated_at": iso(ts)})
        for _ in range(creates):
            template = users.records([0])[0]
            user_id, self.next_user = USER_ID_BASE + self.next_user, self.next_user + 1
            name = f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}"
            writes["users"].append(
                {
                    **template,
                    "id": user_id,
                    "url": f"{v.ACCOUNT_URL}/users/{user_id}.json",
                    "name": name,
                    "email": f"new{user_id}@customer.example.org",
                    "role": "end-user",
                    "role_type": None,
                    "active": True,
                    "default_group_id": None,
                    "created_at": iso(ts),
                    "updated_at": iso(ts),
                }
            )
        for _ in range(_share(updates, 10)):
            current = orgs.latest(ORG_ID_BASE + rng.randrange(self.next_org))
            if current is not None and all(w["id"] != current["id"] for w in writes["organizations"]):
                writes["organizations"].append({**current, "notes": f"updated {iso(ts)}", "updated_at": iso(ts)})
        for _ in range(_share(creates, 10)):
            org_id, self.next_org = ORG_ID_BASE + self.next_org, self.next_org + 1
            name = f"{rng.choice(v.COMPANY_WORDS)} {rng.choice(v.COMPANY_SUFFIXES)} {org_id - ORG_ID_BASE}"
            writes["organizations"].append(
                {
                    **orgs.records([0])[0],
                    "id": org_id,
                    "url": f"{v.ACCOUNT_URL}/organizations/{org_id}.json",
                    "name": name,
                    "external_id": None,
                    "created_at": iso(ts),
                    "updated_at": iso(ts),
                }
            )

    def _routing(self, rng: random.Random, ts: int, writes: dict) -> None:
        """A skill renamed, a skill given to an agent and one taken from another agent (their first skill of the
        history, once per agent)."""
        value = rng.randrange(LIVE_VALUES)
        writes["routing_attribute_values"].append(
            {
                "id": value_id(self.seed, value),
                "time": iso(ts),
                "type": "update",
                "attribute_id": attribute_id(self.seed, VALUES[value][0]),
                "name": f"{VALUES[value][1]} (v{ts})",
            }
        )
        agent = rng.randrange(self.world.scale.agents)
        given = self._instance_value(value, agent)
        writes["routing_instance_values"].append(self._agent_skill(given, value, agent, ts, "associate_agent"))
        other = rng.randrange(self.world.scale.agents)
        first = int(draws(self.seed, SALT_ROUTING, [other], 4)[0, 1]) % LIVE_VALUES
        taken = self._instance_value(first, other)
        if taken != given and taken not in self.unassociated:
            self.unassociated.add(taken)
            writes["routing_instance_values"].append(self._agent_skill(taken, first, other, ts, "unassociate_agent"))

    def _instance_value(self, value: int, agent: int) -> str:
        return uuids_for(self.seed, SALT_INSTANCE, [int(instance_index(value, agent, 0))])[0]

    def _agent_skill(self, id_: str, value: int, agent: int, ts: int, type_: str) -> dict[str, Any]:
        return {
            "id": id_,
            "time": iso(ts),
            "type": type_,
            "attribute_value_id": value_id(self.seed, value),
            "instance_id": str(self._user_id(agent)),
        }
