"""The stream catalogue: one declarative description per Zendesk incremental export.

Every layer reads this package and nothing else to learn about a stream: the simulator serves it, the client
pages through it, the warehouse builds its table and the Dagster factory builds its asset. Adding a stream is
one ``Stream`` entry in :mod:`.streams` plus a test; :mod:`.model` says what an entry holds. The reference tables
(groups, brands, ticket fields...) are ``ListStream`` entries in :mod:`.lists`: snapshots of list endpoints.

Facts come from Zendesk's public API reference (docs/zendesk-api.md); assumptions are marked where they are made.
"""

from .lists import LISTS, ListStream, get_list
from .model import Column, Pagination, Stream, TimestampFormat, Tombstone, WriteMode, to_epoch, to_iso
from .streams import (
    ORGANIZATIONS,
    ROUTING_ATTRIBUTE_VALUES,
    ROUTING_ATTRIBUTES,
    ROUTING_INSTANCE_VALUES,
    STREAMS,
    TICKET_EVENTS,
    TICKET_METRIC_EVENTS,
    TICKETS,
    USERS,
    get_stream,
)

__all__ = [
    "LISTS",
    "ORGANIZATIONS",
    "ROUTING_ATTRIBUTES",
    "ROUTING_ATTRIBUTE_VALUES",
    "ROUTING_INSTANCE_VALUES",
    "STREAMS",
    "TICKETS",
    "TICKET_EVENTS",
    "TICKET_METRIC_EVENTS",
    "USERS",
    "Column",
    "ListStream",
    "Pagination",
    "Stream",
    "TimestampFormat",
    "Tombstone",
    "WriteMode",
    "get_list",
    "get_stream",
    "to_epoch",
    "to_iso",
]
