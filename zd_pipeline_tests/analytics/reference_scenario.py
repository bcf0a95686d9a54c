"""The scenario's reference lists: groups 10 and 20, two custom fields, the SLA policies (one renamed since its
events were recorded) and ratings given on known days; tickets' custom field values. Loaded by ``scenario.load``."""

from __future__ import annotations

from typing import Any

from zd_pipeline.catalogue import LISTS, to_iso
from zd_pipeline.warehouse import Warehouse

REGION, TAGS = 900, 901
GROUPS = {10: "Tier 1", 20: "Escalations", 30: "Gone"}  # group 30 is deleted in Zendesk
POLICY_TITLES = {1: "Standard (renamed)", 2: "VIP", 3: "VIP Plus"}
# Per ticket: custom field values as tickets carry them (None: unset; a list: a multi-select).
CUSTOM_FIELDS: dict[int, list[dict[str, Any]]] = {
    1: [{"id": REGION, "value": "emea"}, {"id": TAGS, "value": ["alpha", "beta"]}],
    2: [{"id": REGION, "value": "apac"}, {"id": TAGS, "value": None}],
    3: [{"id": REGION, "value": None}, {"id": TAGS, "value": ["beta"]}],
    6: [{"id": REGION, "value": "nowhere"}],  # an option the field no longer has: no label
}
OPTION_LABELS = {REGION: {"emea": "Europe", "apac": "Asia Pacific"}, TAGS: {"alpha": "Alpha", "beta": "Beta"}}
# (rating id, ticket, group, score, comment, given at epoch s): D0 = 2024-03-04.
RATINGS = (
    (71, 1, 10, "good", "thanks", 1_709_640_000),  # 2024-03-05 12:00
    (72, 2, 20, "bad", "", 1_709_726_400),  # 2024-03-06 12:00
    (73, 6, 20, "good", None, 1_709_730_000),  # 2024-03-06 13:00
)
STAMP = "2024-03-01T00:00:00Z"


def items() -> dict[str, list[dict[str, Any]]]:
    fields = [
        {"id": REGION, "type": "tagger", "title": "Region", "custom_field_options": _options(REGION)},
        {"id": TAGS, "type": "multiselect", "title": "Tags", "custom_field_options": _options(TAGS)},
    ]
    return {
        "groups": [{"id": g, "name": n, "deleted": g == 30} for g, n in GROUPS.items()],
        "ticket_fields": fields,
        "sla_policies": [{"id": p, "title": t, "position": p} for p, t in POLICY_TITLES.items()],
        "satisfaction_ratings": [
            {"id": r, "ticket_id": t, "group_id": g, "score": s, "comment": c, "created_at": to_iso(when)}
            for r, t, g, s, c, when in RATINGS
        ],
    }


def load(warehouse: Warehouse) -> None:
    for name, listed in items().items():
        stamped = [{"created_at": STAMP, "updated_at": STAMP, **item} for item in listed]
        warehouse.apply_snapshot(LISTS[name], stamped, complete=True)


def _options(field: int) -> list[dict[str, Any]]:
    return [
        {"id": field * 10 + k, "name": label, "value": value}
        for k, (value, label) in enumerate(OPTION_LABELS[field].items())
    ]
