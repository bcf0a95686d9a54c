"""Users and organizations as Zendesk returns them, rendered from their layout and index-addressed draws."""

from __future__ import annotations

from typing import Any

import numpy as np

from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.isotime import iso as to_iso
from zd_pipeline.simulator.people_layout import ORG_ID_BASE, USER_ID_BASE, EntityLayout
from zd_pipeline.simulator.rand import draws
from zd_pipeline.simulator.scales import Scale

SALT_USER_CONTENT = 23
SALT_ORG_CONTENT = 24


def organization_of_users(seed: int, scale: Scale, user_indices: list[int]) -> list[int | None]:
    """The organization id of each user (three in four end users belong to one; agents to none)."""
    if not user_indices:
        return []
    rows = draws(seed, SALT_USER_CONTENT, np.asarray(user_indices, dtype=np.int64), 1)[:, 0].tolist()
    return [
        ORG_ID_BASE + (d >> 4) % scale.organizations if u >= scale.agents and d % 4 else None
        for u, d in zip(user_indices, rows, strict=True)
    ]


def role_of(scale: Scale, u: int) -> str:
    if u < scale.admins:
        return "admin"
    return "agent" if u < scale.agents else "end-user"


class PeopleRenderer:
    """Renders users and organizations by stream position."""

    def __init__(self, seed: int, scale: Scale, users: EntityLayout, orgs: EntityLayout) -> None:
        self.seed, self.scale, self.users, self.orgs = seed, scale, users, orgs

    def users_at(self, positions: list[int]) -> list[dict[str, Any]]:
        indices = [int(self.users.order[p]) for p in positions]
        rows = draws(self.seed, SALT_USER_CONTENT, np.asarray(indices, dtype=np.int64), 8).tolist()
        orgs = organization_of_users(self.seed, self.scale, indices)
        return [self.user(u, row, org) for u, row, org in zip(indices, rows, orgs, strict=True)]

    def user(self, u: int, d: list[int], org: int | None) -> dict[str, Any]:
        role = role_of(self.scale, u)
        first, last = v.FIRST_NAMES[d[1] % len(v.FIRST_NAMES)], v.LAST_NAMES[d[2] % len(v.LAST_NAMES)]
        domain = "example.com" if role != "end-user" else f"customer{d[3] % 97}.example.org"
        user_id = USER_ID_BASE + u
        updated = int(self.users.updated[u])
        return {
            "id": user_id,
            "url": f"{v.ACCOUNT_URL}/users/{user_id}.json",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{u}@{domain}",
            "role": role,
            "role_type": 0 if role == "agent" else None,
            "active": not bool(self.users.deleted[u]),
            "suspended": d[4] % 200 == 0,
            "verified": d[4] % 10 != 0,
            "organization_id": org,
            "default_group_id": v.GROUP_IDS[d[5] % len(v.GROUP_IDS)] if role != "end-user" else None,
            "locale": v.LOCALES[d[6] % len(v.LOCALES)],
            "locale_id": v.LOCALE_IDS[d[6] % len(v.LOCALES)],
            "time_zone": v.TIME_ZONES[d[6] % len(v.TIME_ZONES)],
            "iana_time_zone": v.IANA_TIME_ZONES[d[6] % len(v.TIME_ZONES)],
            "external_id": f"crm-{u}" if d[7] % 3 == 0 else None,
            "tags": ["vip"] if d[7] % 11 == 0 else [],
            "user_fields": {"plan": ("free", "team", "enterprise")[d[3] % 3], "newsletter": bool(d[5] & 1)},
            "phone": None,
            "shared": False,
            "moderator": role == "admin",
            "only_private_comments": False,
            "restricted_agent": role == "agent" and d[5] % 4 == 0,
            "ticket_restriction": "requested" if role == "end-user" else None,
            "alias": "",
            "chat_only": False,
            "custom_role_id": None,
            "details": "",
            "notes": "",
            "photo": None,
            "report_csv": role == "admin",
            "shared_agent": False,
            "shared_phone_number": None,
            "signature": f"Best regards, {first}" if role != "end-user" else None,
            "two_factor_auth_enabled": None,
            "last_login_at": to_iso(updated - d[0] % 86_400) if d[0] % 5 else None,
            "created_at": to_iso(int(self.users.created[u])),
            "updated_at": to_iso(updated),
        }

    def orgs_at(self, positions: list[int]) -> list[dict[str, Any]]:
        indices = [int(self.orgs.order[p]) for p in positions]
        rows = draws(self.seed, SALT_ORG_CONTENT, np.asarray(indices, dtype=np.int64), 4).tolist()
        return [self.org(o, row) for o, row in zip(indices, rows, strict=True)]

    def org(self, o: int, d: list[int]) -> dict[str, Any]:
        name = f"{v.COMPANY_WORDS[d[0] % len(v.COMPANY_WORDS)]} {v.COMPANY_SUFFIXES[d[1] % len(v.COMPANY_SUFFIXES)]}"
        org_id = ORG_ID_BASE + o
        return {
            "id": org_id,
            "url": f"{v.ACCOUNT_URL}/organizations/{org_id}.json",
            "name": f"{name} {o}",
            "external_id": f"acct-{o}",
            "group_id": v.GROUP_IDS[d[2] % len(v.GROUP_IDS)] if d[2] % 3 == 0 else None,
            "domain_names": [f"customer{o}.example.org"],
            "details": "",
            "notes": "",
            "shared_tickets": d[3] % 4 == 0,
            "shared_comments": d[3] % 8 == 0,
            "tags": [("enterprise", "growth", "starter")[d[1] % 3]],
            "organization_fields": {"tier": ("gold", "silver", "bronze")[d[2] % 3], "seats": 5 + d[3] % 500},
            "deleted_at": None,
            "created_at": to_iso(int(self.orgs.created[o])),
            "updated_at": to_iso(int(self.orgs.updated[o])),
        }
