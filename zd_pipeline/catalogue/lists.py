"""Snapshot lists: the account's small reference objects, read whole from Zendesk's ordinary list endpoints.

Unlike the incremental exports, a list endpoint returns every current item (groups, brands, ticket fields...), so
each refresh is a *snapshot*: every listed item is upserted (newest ``updated_at`` wins) and an id missing from a
complete snapshot becomes a tombstone (``_deleted``), never a hard delete. One :class:`ListStream` entry per table
drives the simulator's endpoint, the client's paging, the table and the asset, as :class:`~.model.Stream` does for
the exports.

Pagination (Zendesk's API reference, "Pagination"): endpoints that support cursor pagination take ``page[size]``
(at most 100) and answer ``meta.has_more`` / ``meta.after_cursor`` and ``links.next``; endpoints without it (SLA
policies, schedules, custom statuses) return the whole list in one response, which the client treats as a
single page. ``expand`` fetches a per-item sub-list (a schedule's holidays) into a field of the item.

``since`` marks the one list that is filtered by time rather than read whole: satisfaction ratings take
``start_time`` (epoch seconds, on the rating's creation time), so a refresh asks only for ratings created since the
newest stored one minus a look-back (a rating can still change while its ticket is open; see
``RATING_LOOKBACK_SECONDS``). Such a list is never a complete snapshot, so it never tombstones.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Column, Tombstone

_API = "/api/v2"
_TS = "TIMESTAMPTZ"
RATING_LOOKBACK_SECONDS = 7 * 86_400  # Zendesk closes solved tickets after 4 days by default; ratings freeze then


def _c(name: str, type_: str, description: str = "") -> Column:
    return Column(name, type_, description)


_TIMESTAMPS = (_c("created_at", _TS, "When the item was created."), _c("updated_at", _TS, "Last change."))


@dataclass(frozen=True)
class Expand:
    """A sub-list fetched per item: ``path`` with ``{id}`` replaced, its items under ``response_key`` stored in the
    item's ``field`` (and so in its typed column and ``_raw``)."""

    path: str
    response_key: str
    field: str


@dataclass(frozen=True)
class ListStream:
    """One Zendesk list endpoint, described once for every layer.

    ``feature``: the plan feature the endpoint needs (an account without it answers 403; the table then stays as
    it was and the asset says so). ``cursor``: whether the endpoint pages with ``page[size]``.
    """

    name: str
    description: str
    path: str
    response_key: str
    columns: tuple[Column, ...]
    cursor: bool = True
    tombstone: Tombstone | None = None
    expand: Expand | None = None
    since: bool = False
    feature: str | None = None
    primary_key: str = "id"
    ordering_field: str = "updated_at"
    page_size: int = 100

    @property
    def table(self) -> str:
        return self.name


GROUPS = ListStream(
    name="groups",
    description="Agent groups (tickets are assigned to one); deleted groups stay as tombstones.",
    path=f"{_API}/groups",
    response_key="groups",
    tombstone=Tombstone("deleted", True),
    columns=(
        _c("id", "BIGINT", "Group id (tickets.group_id)."),
        _c("url", "VARCHAR", "API URL of the group."),
        _c("name", "VARCHAR", "Group name."),
        _c("description", "VARCHAR", "Description."),
        _c("default", "BOOLEAN", "Whether it is the account's default group."),
        _c("is_public", "BOOLEAN", "False for private groups."),
        _c("deleted", "BOOLEAN", "True once the group is deleted."),
        *_TIMESTAMPS,
    ),
)

GROUP_MEMBERSHIPS = ListStream(
    name="group_memberships",
    description="Which agent belongs to which group.",
    path=f"{_API}/group_memberships",
    response_key="group_memberships",
    columns=(
        _c("id", "BIGINT", "Membership id."),
        _c("url", "VARCHAR", "API URL of the membership."),
        _c("user_id", "BIGINT", "Agent (users.id)."),
        _c("group_id", "BIGINT", "Group (groups.id)."),
        _c("default", "BOOLEAN", "Whether it is the agent's default group."),
        *_TIMESTAMPS,
    ),
)

BRANDS = ListStream(
    name="brands",
    description="Brands of the account (tickets.brand_id).",
    path=f"{_API}/brands",
    response_key="brands",
    tombstone=Tombstone("is_deleted", True),
    columns=(
        _c("id", "BIGINT", "Brand id (tickets.brand_id)."),
        _c("url", "VARCHAR", "API URL of the brand."),
        _c("name", "VARCHAR", "Brand name."),
        _c("brand_url", "VARCHAR", "The brand's Zendesk URL."),
        _c("subdomain", "VARCHAR", "The brand's subdomain."),
        _c("host_mapping", "VARCHAR", "Host mapping, if any."),
        _c("active", "BOOLEAN", "Whether the brand is active."),
        _c("default", "BOOLEAN", "Whether it is the default brand."),
        _c("is_deleted", "BOOLEAN", "True once the brand is deleted."),
        _c("ticket_form_ids", "BIGINT[]", "Ticket forms available in the brand."),
        *_TIMESTAMPS,
    ),
)

TICKET_FIELDS = ListStream(
    name="ticket_fields",
    description="System and custom ticket fields, with the options of drop-down fields.",
    path=f"{_API}/ticket_fields",
    response_key="ticket_fields",
    columns=(
        _c("id", "BIGINT", "Field id (tickets.custom_fields[].id)."),
        _c("url", "VARCHAR", "API URL of the field."),
        _c("type", "VARCHAR", "text, tagger, multiselect, integer, date, ... (or a system field's type)."),
        _c("title", "VARCHAR", "Title shown to agents."),
        _c("raw_title", "VARCHAR", "Title before dynamic content is rendered."),
        _c("description", "VARCHAR", "Description."),
        _c("position", "INTEGER", "Order in the agent interface."),
        _c("active", "BOOLEAN", "Whether the field is in use."),
        _c("required", "BOOLEAN", "Whether agents must fill it to solve."),
        _c("removable", "BOOLEAN", "False for system fields."),
        _c("tag", "VARCHAR", "Tag added by a checkbox field."),
        _c("custom_field_options", "JSON", "Drop-down options: [{id, name, raw_name, value, default}]."),
        *_TIMESTAMPS,
    ),
)

TICKET_FORMS = ListStream(
    name="ticket_forms",
    description="Ticket forms and the fields each shows.",
    path=f"{_API}/ticket_forms",
    response_key="ticket_forms",
    cursor=False,
    columns=(
        _c("id", "BIGINT", "Form id (tickets.ticket_form_id)."),
        _c("url", "VARCHAR", "API URL of the form."),
        _c("name", "VARCHAR", "Name shown to agents."),
        _c("display_name", "VARCHAR", "Name shown to end users."),
        _c("position", "INTEGER", "Order."),
        _c("active", "BOOLEAN", "Whether the form is in use."),
        _c("default", "BOOLEAN", "Whether it is the default form."),
        _c("end_user_visible", "BOOLEAN", "Whether end users see it."),
        _c("ticket_field_ids", "BIGINT[]", "Fields on the form, in order."),
        _c("restricted_brand_ids", "BIGINT[]", "Brands the form is limited to."),
        *_TIMESTAMPS,
    ),
)

SLA_POLICIES = ListStream(
    name="sla_policies",
    description="SLA policies: which tickets they apply to and their targets per priority.",
    path=f"{_API}/slas/policies",
    response_key="sla_policies",
    cursor=False,
    feature="SLA policies (Professional plan and above)",
    columns=(
        _c("id", "BIGINT", "Policy id (ticket_metric_events.sla->policy->id)."),
        _c("url", "VARCHAR", "API URL of the policy."),
        _c("title", "VARCHAR", "Title."),
        _c("description", "VARCHAR", "Description."),
        _c("position", "INTEGER", "Match order (the first matching policy applies)."),
        _c("filter", "JSON", "{all: [...], any: [...]} conditions a ticket must match."),
        _c("policy_metrics", "JSON", "[{priority, metric, target, business_hours}] targets in minutes."),
        *_TIMESTAMPS,
    ),
)

SCHEDULES = ListStream(
    name="schedules",
    description="Business-hours schedules: weekly intervals and holidays.",
    path=f"{_API}/business_hours/schedules",
    response_key="schedules",
    cursor=False,
    expand=Expand(f"{_API}/business_hours/schedules/{{id}}/holidays", "holidays", "holidays"),
    columns=(
        _c("id", "BIGINT", "Schedule id."),
        _c("name", "VARCHAR", "Name."),
        _c("time_zone", "VARCHAR", "Time zone the intervals are in."),
        _c("intervals", "JSON", "[{start_time, end_time}] minutes since Sunday 00:00."),
        _c("holidays", "JSON", "[{id, name, start_date, end_date}] (inclusive dates), from the holidays list."),
        *_TIMESTAMPS,
    ),
)

CUSTOM_STATUSES = ListStream(
    name="custom_statuses",
    description="Custom ticket statuses and the status category each belongs to.",
    path=f"{_API}/custom_statuses",
    response_key="custom_statuses",
    cursor=False,
    feature="custom ticket statuses",
    columns=(
        _c("id", "BIGINT", "Custom status id (tickets.custom_status_id)."),
        _c("status_category", "VARCHAR", "new, open, pending, hold or solved."),
        _c("agent_label", "VARCHAR", "Label agents see."),
        _c("end_user_label", "VARCHAR", "Label end users see."),
        _c("description", "VARCHAR", "Description for agents."),
        _c("active", "BOOLEAN", "Whether it is in use."),
        _c("default", "BOOLEAN", "Whether it is its category's default."),
        *_TIMESTAMPS,
    ),
)

SATISFACTION_RATINGS = ListStream(
    name="satisfaction_ratings",
    description="Satisfaction ratings with when each was given (the ticket's embedded rating has no date).",
    path=f"{_API}/satisfaction_ratings",
    response_key="satisfaction_ratings",
    since=True,
    columns=(
        _c("id", "BIGINT", "Rating id (tickets.satisfaction_rating->id)."),
        _c("url", "VARCHAR", "API URL of the rating."),
        _c("ticket_id", "BIGINT", "Rated ticket (tickets.id)."),
        _c("assignee_id", "BIGINT", "Agent assigned when rated."),
        _c("group_id", "BIGINT", "Group assigned when rated."),
        _c("requester_id", "BIGINT", "Who rated."),
        _c("score", "VARCHAR", "good, bad, offered or unoffered."),
        _c("comment", "VARCHAR", "The requester's comment, if any."),
        _c("reason", "VARCHAR", "Reason for a bad rating, if asked."),
        _c("created_at", _TS, "When the rating was given."),
        _c("updated_at", _TS, "When it last changed."),
    ),
)

LISTS: dict[str, ListStream] = {
    s.name: s
    for s in (
        GROUPS,
        GROUP_MEMBERSHIPS,
        BRANDS,
        TICKET_FIELDS,
        TICKET_FORMS,
        SLA_POLICIES,
        SCHEDULES,
        CUSTOM_STATUSES,
        SATISFACTION_RATINGS,
    )
}


def get_list(name: str) -> ListStream:
    """The catalogue entry for list ``name``; raises ``KeyError`` naming the known lists."""
    try:
        return LISTS[name]
    except KeyError:
        raise KeyError(f"unknown reference table {name!r}; known: {', '.join(LISTS)}") from None
