"""The account's reference objects, as Zendesk's list endpoints show them, from the same seeded world.

Ids are the ones the tickets already carry: the group ids and custom field ids of :mod:`vocab`, the brand id of
the ticket template, the SLA policies and the schedule of :mod:`service_levels`, agents of the user layout. Ratings
are the rated tickets' embedded ratings (same id, score, comment), given when the ticket was last updated in the
generated history. ``features_off`` names lists whose plan feature the account lacks (their endpoint answers 403).
Items can be deleted (they disappear from their list, as Zendesk's lists omit deleted items).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zd_pipeline.catalogue import LISTS
from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import service_levels as sl
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.isotime import iso
from zd_pipeline.simulator.people_layout import USER_ID_BASE
from zd_pipeline.simulator.ticket_bytes import rating_comment
from zd_pipeline.simulator.ticket_facts import ticket_columns
from zd_pipeline.simulator.world import World

BRAND_ID = 360_000_100
GROUP_NAMES = ("Tier 1", "Tier 2", "Billing", "Technical", "VIP")
REGION_LABELS = {"emea": "Europe, Middle East & Africa", "amer": "Americas", "apac": "Asia Pacific"}
PRODUCT_LABELS = {"core": "Core platform", "mobile": "Mobile app", "api": "Public API", "billing": "Billing"}
MEMBERSHIP_ID_BASE = 30_000_000
STATUS_ID_BASE = 29_001
FORM_ID = 360_012_001
_SYSTEM_FIELDS = (("subject", "Subject"), ("description", "Description"), ("status", "Status"))
_SYSTEM_FIELDS += (("priority", "Priority"), ("group", "Group"), ("assignee", "Assignee"))
_CUSTOM_STATUSES = (
    ("new", "New", True),
    ("open", "Open", True),
    ("open", "Waiting on engineering", False),
    ("pending", "Pending", True),
    ("hold", "On-hold", True),
    ("solved", "Solved", True),
)


class ReferenceData:
    """The items of every list, built once from the world; the caller holds the simulator's lock."""

    def __init__(self, world: World, seed: int, features_off: tuple[str, ...] = ()) -> None:
        unknown = set(features_off) - {name for name, s in LISTS.items() if s.feature}
        if unknown:
            raise ValueError(f"features_off: {sorted(unknown)} are not lists with a plan feature")
        self.features_off = frozenset(features_off)
        self._world, self._seed = world, seed
        self._stamp = iso(world.window.start)
        self._items: dict[str, list[dict[str, Any]]] = {}

    def available(self, name: str) -> bool:
        return name not in self.features_off

    def items(self, name: str) -> list[dict[str, Any]]:
        """The list's current items in id order (ratings: in creation order)."""
        if name not in self._items:
            self._items[name] = getattr(self, f"_{name}")()
        return self._items[name]

    def holidays(self, schedule_id: int) -> list[dict[str, Any]] | None:
        """A schedule's holidays, or ``None`` for an unknown schedule."""
        if not any(s["id"] == schedule_id for s in self.items("schedules")):
            return None
        year = datetime.fromtimestamp(self._world.window.end, UTC).year
        return [
            {"id": h.id, "name": h.name, "start_date": f"{year}-{h.month:02d}-{h.day:02d}",
             "end_date": f"{year}-{h.month:02d}-{h.day:02d}"}
            for h in sl.SCHEDULE.holidays
        ]  # fmt: skip

    def delete(self, name: str, item_id: int) -> bool:
        """Remove an item from its list; ``False`` when there is no such item."""
        items = self.items(name)
        kept = [item for item in items if item["id"] != item_id]
        self._items[name] = kept
        return len(kept) != len(items)

    def truth(self, name: str) -> list[dict[str, Any]]:
        """What a full read of the list returns now (empty when the account lacks the feature)."""
        if not self.available(name):
            return []
        items = [dict(item) for item in self.items(name)]
        if LISTS[name].expand is not None:
            for item in items:
                item["holidays"] = self.holidays(item["id"])
        return items

    def _times(self) -> dict[str, str]:
        return {"created_at": self._stamp, "updated_at": self._stamp}

    def _groups(self) -> list[dict[str, Any]]:
        return [
            {"url": f"{v.ACCOUNT_URL}/groups/{gid}.json", "id": gid, "name": name, "description": f"{name} agents",
             "default": k == 0, "deleted": False, "is_public": True, **self._times()}
            for k, (gid, name) in enumerate(zip(v.GROUP_IDS, GROUP_NAMES, strict=True))
        ]  # fmt: skip

    def _group_memberships(self) -> list[dict[str, Any]]:
        out = []
        for agent in range(self._world.scale.agents):
            groups = [v.GROUP_IDS[agent % len(v.GROUP_IDS)]]
            if agent % 3 == 0:
                groups.append(v.GROUP_IDS[(agent + 1) % len(v.GROUP_IDS)])
            for k, gid in enumerate(groups):
                mid = MEMBERSHIP_ID_BASE + len(out)
                out.append(
                    {"url": f"{v.ACCOUNT_URL}/group_memberships/{mid}.json", "id": mid,
                     "user_id": USER_ID_BASE + agent, "group_id": gid, "default": k == 0, **self._times()}
                )  # fmt: skip
        return out

    def _brands(self) -> list[dict[str, Any]]:
        return [
            {"url": f"{v.ACCOUNT_URL}/brands/{bid}.json", "id": bid, "name": name, "brand_url": f"https://{sub}.zendesk.com",
             "subdomain": sub, "host_mapping": None, "has_help_center": bid == BRAND_ID, "active": active,
             "default": bid == BRAND_ID, "is_deleted": False, "ticket_form_ids": [FORM_ID], **self._times()}
            for bid, name, sub, active in ((BRAND_ID, "Example Support", "example", True),
                                           (BRAND_ID + 1, "Example Labs", "example-labs", False))
        ]  # fmt: skip

    def _ticket_fields(self) -> list[dict[str, Any]]:
        fields = [
            _field(360_009_001 + k, kind, title, k + 1, removable=False)
            for k, (kind, title) in enumerate(_SYSTEM_FIELDS)
        ]
        product = _field(v.CUSTOM_FIELD_PRODUCT, "tagger", "Product", 10)
        product["custom_field_options"] = _options(360_011_001, PRODUCT_LABELS)
        region = _field(v.CUSTOM_FIELD_REGION, "tagger", "Region", 11)
        region["custom_field_options"] = _options(360_011_101, REGION_LABELS)
        order = _field(v.CUSTOM_FIELD_ORDER, "text", "Order number", 12)
        return [{**f, **self._times()} for f in (*fields, product, region, order)]

    def _ticket_forms(self) -> list[dict[str, Any]]:
        field_ids = [f["id"] for f in self.items("ticket_fields")]
        return [
            {"url": f"{v.ACCOUNT_URL}/ticket_forms/{FORM_ID}.json", "id": FORM_ID, "name": "Default Ticket Form",
             "display_name": "Default Ticket Form", "position": 1, "active": True, "default": True,
             "end_user_visible": True, "ticket_field_ids": field_ids, "in_all_brands": True,
             "restricted_brand_ids": [], **self._times()}
        ]  # fmt: skip

    def _sla_policies(self) -> list[dict[str, Any]]:
        return [_policy(p) | self._times() for p in sl.SLA_POLICIES]

    def _schedules(self) -> list[dict[str, Any]]:
        s = sl.SCHEDULE
        intervals = [{"start_time": a, "end_time": b} for a, b in s.intervals]
        return [{"id": s.id, "name": s.name, "time_zone": s.time_zone, "intervals": intervals, **self._times()}]

    def _custom_statuses(self) -> list[dict[str, Any]]:
        return [
            {"id": STATUS_ID_BASE + k, "status_category": cat, "agent_label": label, "end_user_label": label,
             "description": f"{label} tickets", "end_user_description": "", "active": True, "default": default,
             **self._times()}
            for k, (cat, label, default) in enumerate(_CUSTOM_STATUSES)
        ]  # fmt: skip

    def _satisfaction_ratings(self) -> list[dict[str, Any]]:
        """One rating per ticket whose generated history ends solved or closed with a good or bad score."""
        t = self._world.tickets
        c = ticket_columns(self._seed, self._world.scale, t, list(range(t.count)))
        out = []
        for j, i in enumerate(c["index"]):
            score = v.SATISFACTION[c["satisfaction"][j]]
            if c["final"][j] not in (lc.SOLVED, lc.CLOSED) or score not in ("good", "bad"):
                continue
            rid, when = 500_000_000 + i, iso(c["updated"][j])
            out.append(
                {"url": f"{v.ACCOUNT_URL}/satisfaction_ratings/{rid}.json", "id": rid, "ticket_id": i + 1,
                 "assignee_id": c["assignee"][j] if c["n"][j] > 1 else None,
                 "group_id": v.GROUP_IDS[c["group"][j]], "requester_id": c["requester"][j], "score": score,
                 "comment": rating_comment(score), "reason": None, "created_at": when, "updated_at": when}
            )  # fmt: skip
        out.sort(key=lambda r: (r["created_at"], r["id"]))
        return out


def _field(fid: int, kind: str, title: str, position: int, removable: bool = True) -> dict[str, Any]:
    return {
        "url": f"{v.ACCOUNT_URL}/ticket_fields/{fid}.json", "id": fid, "type": kind, "title": title,
        "raw_title": title, "description": title, "position": position, "active": True, "required": False,
        "removable": removable, "tag": None, "custom_field_options": [] if removable else None,
    }  # fmt: skip


def _options(first_id: int, labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"id": first_id + k, "name": label, "raw_name": label, "value": value, "default": False}
        for k, (value, label) in enumerate(labels.items())
    ]


def _policy(p: sl.SlaPolicy) -> dict[str, Any]:
    metrics = [
        {"priority": prio, "metric": metric, "target": target[prio], "business_hours": p.business_hours}
        for metric, target in (("first_reply_time", p.reply_minutes), ("full_resolution_time", p.resolution_minutes))
        for prio in p.priorities
        if prio in target
    ]
    return {
        "url": f"{v.ACCOUNT_URL}/slas/policies/{p.id}.json", "id": p.id, "title": p.title,
        "description": p.description, "position": p.position,
        "filter": {"all": [], "any": [{"field": "priority", "operator": "is", "value": prio} for prio in p.priorities]},
        "policy_metrics": metrics,
    }  # fmt: skip
