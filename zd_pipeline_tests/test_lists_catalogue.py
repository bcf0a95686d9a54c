"""The catalogue's reference lists: well-formed entries, apart from the export streams."""

import pytest

from zd_pipeline.catalogue import LISTS, STREAMS, get_list


def test_every_list_is_keyed_by_a_typed_id_and_has_what_a_snapshot_needs() -> None:
    assert not LISTS.keys() & STREAMS.keys()
    for name, stream in LISTS.items():
        names = [c.name for c in stream.columns]
        assert names[0] == "id" and stream.columns[0].type == "BIGINT", name
        assert len(names) == len(set(names)) and not any(n.startswith("_") for n in names), name
        assert {"created_at", "updated_at"} <= set(names), name
        assert stream.path.startswith("/api/v2/") and stream.response_key and 1 <= stream.page_size <= 100
        if stream.expand is not None:
            assert "{id}" in stream.expand.path and stream.expand.field in names
        if stream.tombstone is not None:
            assert stream.tombstone.field in names
    assert [name for name, s in LISTS.items() if s.since] == ["satisfaction_ratings"]
    assert {name for name, s in LISTS.items() if s.feature} == {"sla_policies", "custom_statuses"}


def test_an_unknown_list_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="groups"):
        get_list("nope")
