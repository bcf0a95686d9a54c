"""The simulator's records carry every field of Zendesk's reference objects, with the reference's types.

The field lists are Zendesk's Ticket, User and Organization objects (read-only and read-write fields; the
write-only ones such as ``comment`` or ``requester`` never appear in responses), the ticket audit shape of the
incremental ticket events export, and the ticket metric event. ``None`` in a type tuple: the field is nullable.
"""

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator

INT, STR, BOOL, LIST, DICT, NUM = int, str, bool, list, dict, (int, float)
N = type(None)

TICKET = {
    "allow_attachments": BOOL,
    "allow_channelback": BOOL,
    "assignee_id": (INT, N),
    "brand_id": INT,
    "collaborator_ids": LIST,
    "created_at": STR,
    "custom_fields": LIST,
    "custom_status_id": INT,
    "description": STR,
    "due_at": (STR, N),
    "email_cc_ids": LIST,
    "external_id": (STR, N),
    "fields": LIST,
    "follower_ids": LIST,
    "followup_ids": LIST,
    "forum_topic_id": (INT, N),
    "from_messaging_channel": BOOL,
    "generated_timestamp": INT,
    "group_id": (INT, N),
    "has_incidents": BOOL,
    "id": INT,
    "is_public": BOOL,
    "organization_id": (INT, N),
    "priority": (STR, N),
    "problem_id": (INT, N),
    "raw_subject": STR,
    "recipient": (STR, N),
    "requester_id": INT,
    "satisfaction_rating": (DICT, N),
    "sharing_agreement_ids": LIST,
    "status": STR,
    "subject": (STR, N),
    "submitter_id": INT,
    "tags": LIST,
    "ticket_form_id": (INT, N),
    "type": (STR, N),
    "updated_at": STR,
    "url": STR,
    "via": DICT,
    "via_followup_source_id": (INT, N),
}
USER = {
    "active": BOOL,
    "alias": (STR, N),
    "chat_only": BOOL,
    "created_at": STR,
    "custom_role_id": (INT, N),
    "default_group_id": (INT, N),
    "details": (STR, N),
    "email": STR,
    "external_id": (STR, N),
    "iana_time_zone": STR,
    "id": INT,
    "last_login_at": (STR, N),
    "locale": STR,
    "locale_id": INT,
    "moderator": BOOL,
    "name": STR,
    "notes": (STR, N),
    "only_private_comments": BOOL,
    "organization_id": (INT, N),
    "phone": (STR, N),
    "photo": (DICT, N),
    "report_csv": BOOL,
    "restricted_agent": BOOL,
    "role": STR,
    "role_type": (INT, N),
    "shared": BOOL,
    "shared_agent": BOOL,
    "shared_phone_number": (BOOL, N),
    "signature": (STR, N),
    "suspended": BOOL,
    "tags": LIST,
    "ticket_restriction": (STR, N),
    "time_zone": STR,
    "two_factor_auth_enabled": (BOOL, N),
    "updated_at": STR,
    "url": STR,
    "user_fields": DICT,
    "verified": BOOL,
}
ORGANIZATION = {
    "created_at": STR,
    "details": (STR, N),
    "domain_names": LIST,
    "external_id": (STR, N),
    "group_id": (INT, N),
    "id": INT,
    "name": STR,
    "notes": (STR, N),
    "organization_fields": DICT,
    "shared_comments": BOOL,
    "shared_tickets": BOOL,
    "tags": LIST,
    "updated_at": STR,
    "url": STR,
}
TICKET_EVENT = {
    "id": INT,
    "ticket_id": INT,
    "timestamp": INT,
    "created_at": STR,
    "updater_id": INT,
    "via": DICT,
    "event_type": STR,
    "merged_ticket_ids": LIST,
    "system": DICT,
    "child_events": LIST,
}
METRIC_EVENT = {"id": INT, "ticket_id": INT, "metric": STR, "instance_id": INT, "type": STR, "time": STR}


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    return Simulator(scale="small", seed=3, clock=ManualClock(1_790_000_000), rate_limit=None)


@pytest.mark.parametrize(
    ("stream", "reference"),
    [
        ("tickets", TICKET),
        ("users", USER),
        ("organizations", ORGANIZATION),
        ("ticket_events", TICKET_EVENT),
        ("ticket_metric_events", METRIC_EVENT),
    ],
)
def test_every_reference_field_is_there_with_its_type(simulator, stream, reference) -> None:
    records = simulator.truth(stream)
    assert records
    for record in records:
        missing = reference.keys() - record.keys()
        assert not missing, f"{stream} {record.get('id')}: missing {sorted(missing)}"
        for name, kind in reference.items():
            value = record[name]
            ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (INT, NUM))
            assert ok, f"{stream} {record['id']}.{name} = {value!r} is not {kind}"


def test_fields_is_custom_fields_and_mutated_tickets_keep_every_field(simulator) -> None:
    simulator.mutate(updates=20, creates=10, deletes=3)
    simulator.clock.advance(120)
    for ticket in simulator.truth("tickets"):
        assert ticket["fields"] == ticket["custom_fields"] and TICKET.keys() <= ticket.keys()
