"""Tickets rendered straight to JSON bytes: the bench-scale hot path (a million tickets, 30,000+ a second).

One bytes template per ticket, filled from :func:`ticket_facts.ticket_columns`; every string fragment comes
pre-encoded from the vocabulary (checked free of characters JSON would escape). The dict form of a ticket is
``orjson.loads`` of these bytes, so there is one renderer, not two.
"""

from __future__ import annotations

import orjson

from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.isotime import iso
from zd_pipeline.simulator.ticket_facts import BULK_TAG, first_tags

for _word in (*v.SUBJECTS, *v.CHANNELS, *v.TAGS, v.ACCOUNT_URL):
    if '"' in _word or "\\" in _word:
        raise ValueError(f"vocabulary entry {_word!r} would need JSON escaping in the ticket template")

TEMPLATE = (
    b'{"url":"' + v.ACCOUNT_URL.encode() + b'/tickets/%d.json","id":%d,"external_id":%b,"via":%b,'
    b'"created_at":"%b","updated_at":"%b","generated_timestamp":%d,"type":%b,"subject":"%b","raw_subject":"%b",'
    b'"description":"%b. Ticket reference %d.","priority":"%b","status":"%b","recipient":"support@example.com",'
    b'"requester_id":%d,"submitter_id":%d,"assignee_id":%b,"organization_id":%b,"group_id":%d,'
    b'"collaborator_ids":[],"follower_ids":%b,"email_cc_ids":[],"forum_topic_id":null,"problem_id":%b,'
    b'"has_incidents":false,"is_public":true,"due_at":%b,"tags":%b,"custom_fields":%b,"fields":%b,'
    b'"satisfaction_rating":%b,"sharing_agreement_ids":[],"brand_id":360000100,"allow_channelback":false,'
    b'"allow_attachments":true,"from_messaging_channel":%b,"ticket_form_id":%d,"custom_status_id":%d,'
    b'"followup_ids":[],"via_followup_source_id":null}'
)
# ``custom_fields`` and its alias ``fields`` (Zendesk sends both, the same list).
CUSTOM_FIELDS = (
    b'[{"id":' + str(v.CUSTOM_FIELD_PRODUCT).encode() + b',"value":%b},'
    b'{"id":' + str(v.CUSTOM_FIELD_REGION).encode() + b',"value":%b},'
    b'{"id":' + str(v.CUSTOM_FIELD_ORDER).encode() + b',"value":%b}]'
)

_VIA = [orjson.dumps({"channel": c, "source": {"from": {}, "to": {}, "rel": None}}) for c in v.CHANNELS]
_TYPES = [orjson.dumps(t) for t in v.TICKET_TYPES]
_SUBJECTS = [s.encode() for s in v.SUBJECTS]
_PRIORITIES = [p.encode() for p in lc.PRIORITIES]
_STATUSES = [s.encode() for s in lc.STATUSES]
_PRODUCTS = [orjson.dumps(p) for p in v.PRODUCTS]
_REGIONS = [orjson.dumps(r) for r in v.REGIONS]
_TAGS = {
    (a, b, bulk): orjson.dumps([*first_tags(a, b), *([BULK_TAG] if bulk else [])])
    for a in range(len(v.TAGS))
    for b in range(len(v.TAGS))
    for bulk in (False, True)
}
_CHAT = v.CHANNELS.index("chat")
_INCIDENT, _TASK = v.TICKET_TYPES.index("incident"), v.TICKET_TYPES.index("task")
_SOLVED = (lc.SOLVED, lc.CLOSED)


def rating_comment(score: str) -> str:
    """The comment of a good or bad rating (the ratings list shows the same)."""
    return "Quick and helpful" if score == "good" else "Too slow"


def _rating(i: int, score: str) -> bytes:
    if score in ("offered", "unoffered"):
        return b'{"score":"%b"}' % score.encode()
    comment = rating_comment(score).encode()
    return b'{"id":%d,"score":"%b","comment":"%b"}' % (500_000_000 + i, score.encode(), comment)


def tickets_json(c: dict[str, list]) -> list[bytes]:
    """One JSON document per ticket, from :func:`ticket_columns` output."""
    out = []
    for j, i in enumerate(c["index"]):
        ticket_id = i + 1
        ext, kind, channel, final = c["external"][j], c["type"][j], c["channel"][j], c["final"][j]
        created, org = c["created"][j], c["organization"][j]
        subject = _SUBJECTS[c["subject"][j]]
        custom = CUSTOM_FIELDS % (
            _PRODUCTS[c["product"][j]],
            _REGIONS[c["region"][j]],
            b'"%d"' % (10_000 + ext % 90_000) if ext % 2 else b"null",
        )
        out.append(
            TEMPLATE
            % (
                ticket_id,
                ticket_id,
                b'"order-%d"' % (ext % 100_000) if ext % 4 == 0 else b"null",
                _VIA[channel],
                iso(created).encode(),
                iso(c["updated"][j]).encode(),
                c["generated"][j],
                _TYPES[kind],
                subject,
                subject,
                subject,
                ticket_id,
                _PRIORITIES[c["priority"][j]],
                _STATUSES[final],
                c["requester"][j],
                c["requester"][j],
                b"%d" % c["assignee"][j] if c["n"][j] > 1 else b"null",
                b"null" if org is None else b"%d" % org,
                v.GROUP_IDS[c["group"][j]],
                b"[%d]" % c["admin"][j] if c["follower"][j] else b"[]",
                b"%d" % (1 + c["problem"][j] % i) if kind == _INCIDENT and i else b"null",
                b'"%b"' % iso(created + 3 * 86_400).encode() if kind == _TASK else b"null",
                _TAGS[(c["tag_a"][j], c["tag_b"][j], c["bulk"][j])],
                custom,
                custom,
                _rating(i, v.SATISFACTION[c["satisfaction"][j]]) if final in _SOLVED else b"null",
                b"true" if channel == _CHAT else b"false",
                v.TICKET_FORM_IDS[kind == _INCIDENT],
                v.CUSTOM_STATUS_IDS[final],
            )
        )
    return out
