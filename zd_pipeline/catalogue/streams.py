"""The catalogue's entries: one :class:`~.model.Stream` per Zendesk incremental export, and the lookup by name.

Adding a stream is one entry here (and in ``STREAMS``) plus a test. Facts come from Zendesk's public API reference
(docs/zendesk-api.md); assumptions are marked where they are made.
"""

from __future__ import annotations

from .model import Column, Pagination, Stream, TimestampFormat, Tombstone, WriteMode

_API = "/api/v2/incremental"
_TS = "TIMESTAMPTZ"


def _c(name: str, type_: str, description: str = "") -> Column:
    return Column(name, type_, description)


_TIMESTAMPS = (
    _c("created_at", _TS, "When the record was created."),
    _c("updated_at", _TS, "When the record was last updated."),
)

TICKETS = Stream(
    name="tickets",
    description="Every ticket, newest state per id; deleted tickets stay with status 'deleted'.",
    response_key="tickets",
    time_path=f"{_API}/tickets.json",
    cursor_path=f"{_API}/tickets/cursor.json",
    pagination=Pagination.CURSOR,
    # The time-based export filters and orders tickets by generated_timestamp, not updated_at (docs/zendesk-api.md).
    ordering_field="generated_timestamp",
    ordering_format=TimestampFormat.EPOCH,
    write_mode=WriteMode.UPSERT,
    tombstone=Tombstone("status", "deleted"),
    columns=(
        _c("id", "BIGINT", "Ticket id."),
        _c("url", "VARCHAR", "API URL of the ticket."),
        _c("external_id", "VARCHAR", "Id of the ticket in an external system, if set."),
        _c("type", "VARCHAR", "problem, incident, question or task."),
        _c("subject", "VARCHAR", "Subject line as shown to agents."),
        _c("raw_subject", "VARCHAR", "Subject before dynamic content placeholders are rendered."),
        _c("description", "VARCHAR", "The first comment's text."),
        _c("priority", "VARCHAR", "urgent, high, normal or low."),
        _c("status", "VARCHAR", "new, open, pending, hold, solved, closed or deleted."),
        _c("recipient", "VARCHAR", "Email address the ticket was sent to, if created by email."),
        _c("requester_id", "BIGINT", "User who asked for help (users.id)."),
        _c("submitter_id", "BIGINT", "User who created the ticket (users.id), e.g. an agent for the requester."),
        _c("assignee_id", "BIGINT", "Agent the ticket is assigned to (users.id), null when unassigned."),
        _c("organization_id", "BIGINT", "Requester's organization (organizations.id)."),
        _c("group_id", "BIGINT", "Group the ticket is assigned to."),
        _c("collaborator_ids", "BIGINT[]", "Users copied on the ticket (CCs)."),
        _c("follower_ids", "BIGINT[]", "Agents following the ticket."),
        _c("problem_id", "BIGINT", "For incidents: the problem ticket they belong to."),
        _c("has_incidents", "BOOLEAN", "For problems: whether incidents are linked to it."),
        _c("due_at", _TS, "Due date of a task ticket."),
        _c("tags", "VARCHAR[]", "Ticket tags."),
        _c("via", "JSON", "How the ticket was created (channel, source)."),
        _c("custom_fields", "JSON", "List of {id, value}."),
        _c("satisfaction_rating", "JSON", "{id, score, comment} or null."),
        *_TIMESTAMPS,
        _c("generated_timestamp", "BIGINT", "Epoch seconds of the last change, system updates included."),
    ),
)

USERS = Stream(
    name="users",
    description="Every user (end users, agents, admins), newest state per id; deleted users have active=false.",
    response_key="users",
    time_path=f"{_API}/users.json",
    cursor_path=f"{_API}/users/cursor.json",
    pagination=Pagination.CURSOR,
    ordering_field="updated_at",
    ordering_format=TimestampFormat.ISO,
    write_mode=WriteMode.UPSERT,
    tombstone=Tombstone("active", False),
    columns=(
        _c("id", "BIGINT", "User id."),
        _c("url", "VARCHAR", "API URL of the user."),
        _c("name", "VARCHAR", "Display name."),
        _c("email", "VARCHAR", "Primary email address."),
        _c("role", "VARCHAR", "end-user, agent or admin."),
        _c("role_type", "INTEGER", "Custom agent role type (0 custom, 1 light, 2 chat, ...), null for other roles."),
        _c("active", "BOOLEAN", "False once the user is deleted."),
        _c("suspended", "BOOLEAN", "True if the user may not sign in or submit tickets."),
        _c("verified", "BOOLEAN", "True once an identity of the user is verified."),
        _c("organization_id", "BIGINT", "Default organization (organizations.id)."),
        _c("default_group_id", "BIGINT", "Default group of an agent."),
        _c("locale", "VARCHAR", "Language and region, e.g. en-US."),
        _c("time_zone", "VARCHAR", "Time zone name, e.g. Eastern Time (US & Canada)."),
        _c("external_id", "VARCHAR", "Id of the user in an external system, if set."),
        _c("tags", "VARCHAR[]", "User tags."),
        _c("user_fields", "JSON", "Custom user fields as {key: value}."),
        _c("last_login_at", _TS, "Last sign-in, null if never."),
        *_TIMESTAMPS,
    ),
)

ORGANIZATIONS = Stream(
    name="organizations",
    description="Every organization, newest state per id.",
    response_key="organizations",
    time_path=f"{_API}/organizations.json",
    ordering_field="updated_at",
    ordering_format=TimestampFormat.ISO,
    write_mode=WriteMode.UPSERT,
    columns=(
        _c("id", "BIGINT", "Organization id."),
        _c("url", "VARCHAR", "API URL of the organization."),
        _c("name", "VARCHAR", "Organization name (unique in the account)."),
        _c("external_id", "VARCHAR", "Id of the organization in an external system, if set."),
        _c("group_id", "BIGINT", "Group new tickets from this organization go to."),
        _c("domain_names", "VARCHAR[]", "Email domains whose users join this organization."),
        _c("details", "VARCHAR", "Free-text details (e.g. address)."),
        _c("notes", "VARCHAR", "Free-text notes for agents."),
        _c("shared_tickets", "BOOLEAN", "Whether members see each other's tickets."),
        _c("shared_comments", "BOOLEAN", "Whether members may comment on each other's tickets."),
        _c("tags", "VARCHAR[]", "Organization tags."),
        _c("organization_fields", "JSON", "Custom organization fields as {key: value}."),
        _c("deleted_at", _TS, "When the organization was deleted, null while it exists."),
        *_TIMESTAMPS,
    ),
)

TICKET_EVENTS = Stream(
    name="ticket_events",
    description=(
        "Ticket audits: each update of a ticket with its child events (field changes, comments). Append-only. "
        "The public docs sometimes show metric-event-shaped items here; both shapes are accepted and kept raw."
    ),
    response_key="ticket_events",
    time_path=f"{_API}/ticket_events.json",
    ordering_field="timestamp",
    ordering_format=TimestampFormat.EPOCH,
    write_mode=WriteMode.APPEND,
    sideloads=("comment_events",),
    columns=(
        _c("id", "BIGINT", "Audit id."),
        _c("ticket_id", "BIGINT", "Ticket the audit belongs to (tickets.id)."),
        _c("timestamp", "BIGINT", "Epoch seconds of the audit."),
        _c("created_at", _TS, "When the audit happened."),
        _c("updater_id", "BIGINT", "Who made the change (-1 for the system)."),
        _c("via", "JSON", "How the change was made (channel, source)."),
        _c("event_type", "VARCHAR", "'Audit'."),
        _c("merged_ticket_ids", "BIGINT[]", "Tickets merged into this one by the audit, if any."),
        _c("system", "JSON", "Client, IP address and location of the change, as Zendesk recorded it."),
        _c("child_events", "JSON", "Create / Change / Comment events with field_name, value, previous_value."),
    ),
)

TICKET_METRIC_EVENTS = Stream(
    name="ticket_metric_events",
    description="Ticket metric events (reply, resolution, wait and work time; SLA apply/breach). Append-only.",
    response_key="ticket_metric_events",
    time_path=f"{_API}/ticket_metric_events.json",
    ordering_field="time",
    ordering_format=TimestampFormat.ISO,
    write_mode=WriteMode.APPEND,
    columns=(
        _c("id", "BIGINT", "Metric event id."),
        _c("ticket_id", "BIGINT", "Ticket the event is about (tickets.id)."),
        _c("metric", "VARCHAR", "agent_work_time, reply_time, requester_wait_time, resolution_time, ..."),
        _c("instance_id", "BIGINT", "Which instance of the metric (1 = first reply, ...)."),
        _c("type", "VARCHAR", "activate, pause, fulfill, apply_sla, breach, update_status, measure."),
        _c("time", _TS, "When the event happened."),
        _c("sla", "JSON", "On apply_sla: {target, business_hours, policy}."),
        _c("status", "JSON", "On update_status: {calendar, business} minutes."),
    ),
)


SKILL_BASED_ROUTING = "skill_based_routing"


def _routing(name: str, key: str, path: str, description: str, tombstone: Tombstone, columns: tuple) -> Stream:
    # Items are change events (docs/zendesk-api.md); ``id`` names the attribute, attribute value or instance value
    # that changed, so an update or delete carries its create's id. The table holds each id's newest state by
    # ``time`` (a delete / unassociate as a tombstone); every event stays in ``<table>_history``.
    return Stream(
        name=name,
        description=description,
        response_key=key,
        time_path=f"{_API}/routing/{path}",
        pagination=Pagination.ROUTING,
        ordering_field="time",
        ordering_format=TimestampFormat.ISO,
        write_mode=WriteMode.UPSERT,
        id_type="VARCHAR",
        max_page_size=3000,
        tombstone=tombstone,
        history_key=("id", "time", "type"),
        plan_feature=SKILL_BASED_ROUTING,  # Enterprise plans only (docs/zendesk-api.md)
        columns=(
            _c("id", "VARCHAR", "UUID of the object that changed (the same on its create, updates and delete)."),
            _c("type", "VARCHAR", "The newest change: create / update / delete, or (un)associate_agent / _ticket."),
            _c("time", _TS, "When the newest change happened."),
            *columns,
        ),
    )


ROUTING_ATTRIBUTES = _routing(
    "routing_attributes",
    "attributes",
    "attributes.json",
    "Skill-based routing attributes (skill types), newest state per id; deleted ones stay with type 'delete'. "
    "Every change is in routing_attributes_history.",
    Tombstone("type", "delete"),
    (_c("name", "VARCHAR", "Attribute name, e.g. Language."),),
)
ROUTING_ATTRIBUTE_VALUES = _routing(
    "routing_attribute_values",
    "attribute_values",
    "attribute_values.json",
    "Skill-based routing attribute values (skills), newest state per id; deleted ones stay with type 'delete'. "
    "Every change is in routing_attribute_values_history.",
    Tombstone("type", "delete"),
    (
        _c("attribute_id", "VARCHAR", "Attribute (skill type) the skill belongs to (routing_attributes.id)."),
        _c("name", "VARCHAR", "Skill name, e.g. German."),
    ),
)
ROUTING_INSTANCE_VALUES = _routing(
    "routing_instance_values",
    "instance_values",
    "instance_values.json",
    "Skill-based routing instance values: a skill on an agent or a ticket, newest state per id; removed ones stay "
    "with type unassociate_*. Every change is in routing_instance_values_history.",
    Tombstone("type", "unassociate_agent", ("unassociate_ticket",)),
    (
        _c("attribute_value_id", "VARCHAR", "The skill (routing_attribute_values.id)."),
        _c("instance_id", "VARCHAR", "Agent (users.id) or ticket (tickets.id) the skill is on."),
    ),
)

STREAMS: dict[str, Stream] = {
    s.name: s
    for s in (
        TICKETS,
        TICKET_EVENTS,
        USERS,
        ORGANIZATIONS,
        ROUTING_ATTRIBUTES,
        ROUTING_ATTRIBUTE_VALUES,
        ROUTING_INSTANCE_VALUES,
        TICKET_METRIC_EVENTS,
    )
}


def get_stream(name: str) -> Stream:
    """The catalogue entry for ``name``; raises ``KeyError`` naming the known streams."""
    try:
        return STREAMS[name]
    except KeyError:
        raise KeyError(f"unknown stream {name!r}; known streams: {', '.join(STREAMS)}") from None
