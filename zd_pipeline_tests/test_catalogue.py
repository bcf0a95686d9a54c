"""The catalogue is the single description every layer reads: check it is complete and self-consistent."""

import pytest

from zd_pipeline.catalogue import (
    STREAMS,
    Pagination,
    TimestampFormat,
    WriteMode,
    get_stream,
    to_epoch,
    to_iso,
)

EXPECTED = {
    "tickets",
    "ticket_events",
    "users",
    "organizations",
    "routing_attributes",
    "routing_attribute_values",
    "routing_instance_values",
    "ticket_metric_events",
}


def test_every_required_stream_is_described() -> None:
    assert set(STREAMS) == EXPECTED


@pytest.mark.parametrize("stream", STREAMS.values(), ids=lambda s: s.name)
def test_stream_is_self_consistent(stream) -> None:
    names = [c.name for c in stream.columns]
    assert len(names) == len(set(names)), "duplicate column"
    assert stream.primary_key in names
    assert stream.ordering_field in names
    assert next(c for c in stream.columns if c.name == "id").type == stream.id_type
    assert stream.time_path.startswith("/api/v2/incremental/") and stream.time_path.endswith(".json")
    for kind in stream.paginations:
        assert stream.path_for(kind).endswith(".json")


def test_cursor_exports_only_for_tickets_and_users() -> None:
    assert {s.name for s in STREAMS.values() if s.cursor_path} == {"tickets", "users"}
    with pytest.raises(ValueError, match="no cursor-based export"):
        get_stream("organizations").path_for(Pagination.CURSOR)


def test_routing_streams_keep_newest_state_history_and_need_a_plan_feature() -> None:
    routing = [s for s in STREAMS.values() if s.pagination is Pagination.ROUTING]
    assert len(routing) == 3
    assert all(s.id_type == "VARCHAR" and s.write_mode is WriteMode.UPSERT for s in routing)
    assert all(s.max_page_size == 3000 for s in routing)
    assert all(s.history_key == ("id", "time", "type") and s.history_table == f"{s.name}_history" for s in routing)
    assert {s.plan_feature for s in routing} == {"skill_based_routing"}
    assert all(s.plan_feature is None and s.history_table is None for s in STREAMS.values() if s not in routing)
    instance_values = get_stream("routing_instance_values").tombstone
    assert instance_values is not None
    assert instance_values.marks("unassociate_agent") and instance_values.marks("unassociate_ticket")
    assert not instance_values.marks("associate_agent")
    assert get_stream("routing_attributes").tombstone.marks("delete")
    assert not get_stream("users").tombstone.marks(0)  # 0 is not False


def test_ordering_epoch_reads_both_formats() -> None:
    assert get_stream("tickets").ordering_format is TimestampFormat.EPOCH
    assert get_stream("tickets").ordering_epoch({"generated_timestamp": 1304591932}) == 1304591932
    assert get_stream("users").ordering_epoch({"updated_at": "2011-05-05T10:38:52Z"}) == 1304591932
    assert to_iso(to_epoch("2011-05-05T10:38:52Z")) == "2011-05-05T10:38:52Z"
    with pytest.raises(ValueError):
        to_epoch(True)


def test_unknown_stream_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known streams: tickets"):
        get_stream("tikets")
