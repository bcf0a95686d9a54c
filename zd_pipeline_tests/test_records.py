"""RawRecords: a page's records as JSON text that still reads as a sequence of dicts; RowCodec: typed rows."""

from __future__ import annotations

import msgspec
import orjson
import pytest

from zd_pipeline.catalogue import STREAMS, TICKETS
from zd_pipeline.records import NULL, RawRecords, row_codec

RECORDS = [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}, {"id": 3, "n": "c"}]


def _page() -> RawRecords:
    body = orjson.dumps(RECORDS)
    texts = msgspec.json.decode(body, type=list[msgspec.Raw])
    return RawRecords(texts, [1, 2, 3], [10, 20, 30], array=body)


def test_reads_as_the_list_of_dicts_it_stands_for() -> None:
    page = _page()
    assert len(page) == 3 and page == RECORDS and list(page) == RECORDS
    assert page[1] is page[1]  # decoded once, then kept
    assert page[-1] == RECORDS[-1] and page[0:2] == RECORDS[0:2]
    assert page != RECORDS[:2] and repr(page) == "RawRecords(3 records)"
    with pytest.raises(IndexError):
        page[3]


def test_a_selection_keeps_ids_stamps_and_rows_and_joins_its_own_array() -> None:
    page = _page()
    picked = page.select([2, 0])
    assert picked == [RECORDS[2], RECORDS[0]] and picked.ids == [3, 1] and picked.stamps == [30, 10]
    assert orjson.loads(picked.json_array()) == [RECORDS[2], RECORDS[0]]
    assert page.json_array() == orjson.dumps(RECORDS)


def test_lists_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        RawRecords([b"{}"], [1, 2], [10])


def test_every_stream_has_a_codec_whose_rows_carry_its_id_and_ordering_value() -> None:
    for stream in STREAMS.values():
        codec = row_codec(stream)
        assert codec is not None and codec.ordering_of is not None, stream.name
        assert [c.name for c in codec.columns] == [c.name for c in stream.typed_columns]


def test_a_tickets_row_has_exact_types_and_json_columns_as_text() -> None:
    codec = row_codec(TICKETS)
    record = {"id": 5, "generated_timestamp": 99, "tags": ["a"], "via": {"channel": "web"}, "other": [1]}
    (row,) = codec.decoder.decode(orjson.dumps([record]))
    values = dict(zip([c.name for c in codec.columns], msgspec.structs.astuple(row), strict=True))
    assert codec.id_of(row) == 5 and codec.ordering_of(row) == 99
    assert values["tags"] == ["a"] and bytes(values["via"]) == b'{"channel":"web"}'
    assert values["satisfaction_rating"] == NULL and values["subject"] is None
    with pytest.raises(msgspec.ValidationError):
        codec.decoder.decode(orjson.dumps([{**record, "tags": "a"}]))
