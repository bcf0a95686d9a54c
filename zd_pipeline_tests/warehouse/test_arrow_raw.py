"""Records as JSON text (the client's ``RawRecords``) convert to exactly the table their dicts convert to."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zd_pipeline.catalogue import STREAMS, TICKETS, USERS, Stream, to_epoch
from zd_pipeline.clock import ManualClock
from zd_pipeline.records import RawRecords
from zd_pipeline.simulator import Credentials, Simulator
from zd_pipeline.warehouse.arrow_page import page_to_arrow
from zd_pipeline.warehouse.arrow_raw import raw_page_to_arrow
from zd_pipeline.warehouse.errors import BadRecordError

from .records import BASE, ticket, user


def as_raw(stream: Stream, records: list[dict[str, Any]]) -> RawRecords:
    return RawRecords(
        [orjson.dumps(r) for r in records],
        [r[stream.primary_key] for r in records],
        [to_epoch(r[stream.ordering_field]) for r in records],
    )


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(scale="small", seed=5, clock=ManualClock(), rate_limit=None, credentials=Credentials.demo())


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_stream_takes_the_fast_path_with_the_dict_paths_result(sim: Simulator, name: str) -> None:
    stream = STREAMS[name]
    records = sim.truth(name)[:700]
    assert records, f"the small simulator has no {name}"
    fast = raw_page_to_arrow(stream, as_raw(stream, records))
    assert fast is not None, "simulator records have their columns' exact types"
    assert fast.equals(page_to_arrow(stream, records))


def test_drifted_values_fall_back_to_the_lenient_dict_path_and_keep_the_text_as_raw() -> None:
    records = [ticket(1, BASE), ticket(2, BASE, subject=42, tags="vip", requester_id="x", due_at=BASE)]
    page = as_raw(TICKETS, records)
    assert raw_page_to_arrow(TICKETS, page) is None
    table = page_to_arrow(TICKETS, page)
    assert table.equals(page_to_arrow(TICKETS, records))
    assert table.column("subject").to_pylist() == [records[0]["subject"], "42"]
    assert table.column("requester_id").to_pylist() == [1001, None]
    assert [bytes(t, "utf-8") for t in table.column("_raw").cast(pa.large_string()).to_pylist()] == page.raw


def test_raw_keeps_the_servers_text_byte_for_byte() -> None:
    text = b'{ "id": 3, "generated_timestamp": %d, "tags": ["a"], "note": "caf\\u00e9" }' % BASE
    table = page_to_arrow(TICKETS, RawRecords([text], [3], [BASE]))
    assert table.column("_raw").cast(pa.large_string()).to_pylist() == [text.decode()]
    assert table.column("tags").to_pylist() == [["a"]]


def test_a_record_without_its_id_still_fails_the_page_by_name() -> None:
    records = [user(1, BASE), {k: v for k, v in user(2, BASE).items() if k != "id"}]
    page = RawRecords([orjson.dumps(r) for r in records], [1, 2], [BASE, BASE])
    with pytest.raises(BadRecordError, match="position 1 of the page has no 'id'"):
        page_to_arrow(USERS, page)


_FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(min_value=-5, max_value=5), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(min_value=-(2**63), max_value=2**63), max_size=2),
)
_TICKET_FIELDS = st.sampled_from(
    ["subject", "status", "requester_id", "collaborator_ids", "tags", "has_incidents", "due_at", "via", "custom"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(_TICKET_FIELDS, _FIELD_VALUES, max_size=4), min_size=1, max_size=6))
def test_any_field_values_give_the_same_table_on_both_paths(changes: list[dict[str, Any]]) -> None:
    records = [ticket(n, BASE + n, **fields) for n, fields in enumerate(changes)]
    assert page_to_arrow(TICKETS, as_raw(TICKETS, records)).equals(page_to_arrow(TICKETS, records))


def test_records_cut_from_an_array_decode_that_array_and_a_selection_joins_its_own() -> None:
    records = [ticket(1, BASE), ticket(2, BASE + 1), ticket(3, BASE + 2)]
    array = orjson.dumps(records)
    page = RawRecords([orjson.dumps(r) for r in records], [1, 2, 3], [BASE, BASE + 1, BASE + 2], array=array)
    assert page.json_array() is array
    picked = page.select([0, 2])
    assert orjson.loads(picked.json_array()) == [records[0], records[2]]
    assert page_to_arrow(TICKETS, picked).equals(page_to_arrow(TICKETS, [records[0], records[2]]))
