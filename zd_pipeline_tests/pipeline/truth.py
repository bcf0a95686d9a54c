"""Compare a warehouse table with the simulator's ground truth, record by record."""

import orjson

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.simulator import Simulator
from zd_pipeline.warehouse import Warehouse


def table_state(warehouse: Warehouse, stream_name: str, start: int | None = None, end: int | None = None) -> dict:
    """``{id: (ordering ts, deleted, the whole record from _raw)}`` of the table, optionally within ``[start, end)``."""
    stream = STREAMS[stream_name]
    where = "" if start is None else f"WHERE _ordering_ts >= {int(start)} AND _ordering_ts < {int(end)}"
    with warehouse.read() as con:
        rows = con.execute(f'SELECT id, _ordering_ts, _deleted, _raw FROM "{stream.table}" {where}').fetchall()
    assert len(rows) == len({row[0] for row in rows}), f"{stream_name}: duplicate ids"
    return {row[0]: (row[1], bool(row[2]), orjson.loads(row[3])) for row in rows}


def truth_state(simulator: Simulator, stream_name: str, start: int | None = None, end: int | None = None) -> dict:
    stream = STREAMS[stream_name]
    records = simulator.truth(stream_name, start, end)  # a change log's in (time, id) order: the last one wins
    tombstone = stream.tombstone
    return {
        r[stream.primary_key]: (
            stream.ordering_epoch(r),
            tombstone is not None and tombstone.marks(r.get(tombstone.field)),
            r,
        )
        for r in records
    }


def assert_matches_truth(
    warehouse: Warehouse, simulator: Simulator, stream_name: str, start: int | None = None, end: int | None = None
) -> int:
    """Every record of the truth is in the table with its newest version (``_raw`` equal to the record, field for
    field), and nothing else; returns the count."""
    got = table_state(warehouse, stream_name, start, end)
    expected = truth_state(simulator, stream_name, start, end)
    missing = expected.keys() - got.keys()
    extra = got.keys() - expected.keys()
    stale = [k for k in expected.keys() & got.keys() if got[k] != expected[k]]  # stale or altered
    assert not missing and not extra and not stale, (
        f"{stream_name}: {len(missing)} missing, {len(extra)} extra, {len(stale)} stale "
        f"(e.g. {sorted(missing)[:3]} {sorted(extra)[:3]} {sorted(stale)[:3]})"
    )
    return len(expected)


def assert_history_matches_truth(warehouse: Warehouse, simulator: Simulator, stream_name: str) -> int:
    """A change-log stream's ``<table>_history`` holds every change the export served, each once, as received
    (``_raw`` field for field); returns the count."""
    stream = STREAMS[stream_name]
    with warehouse.read() as con:
        rows = con.execute(f'SELECT _raw FROM "{stream.history_table}" ORDER BY _ordering_ts, id').fetchall()
    got = [orjson.loads(row[0]) for row in rows]
    expected = simulator.truth(stream_name)
    key = lambda r: tuple(r[k] for k in stream.history_key)  # noqa: E731
    assert len({key(r) for r in got}) == len(got), f"{stream_name}_history: a change twice"
    assert sorted(got, key=key) == sorted(expected, key=key), f"{stream_name}_history differs from the export"
    return len(expected)
