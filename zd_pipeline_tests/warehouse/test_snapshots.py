"""Snapshots of reference lists: newest wins, tombstones for what a complete snapshot lacks, never a hard delete."""

from pathlib import Path

import orjson
import pytest

from zd_pipeline.catalogue import get_list
from zd_pipeline.clock import ManualClock
from zd_pipeline.warehouse import Warehouse, WarehouseError

GROUPS = get_list("groups")
RATINGS = get_list("satisfaction_ratings")


def _group(gid: int, name: str, updated: str = "2026-01-01T00:00:00Z", **extra) -> dict:
    return {"id": gid, "name": name, "deleted": False, "default": False, "updated_at": updated, **extra}


def _rows(warehouse: Warehouse, table: str) -> dict:
    with warehouse.read() as con:
        rows = con.execute(f'SELECT id, name, _deleted, _raw FROM main."{table}" ORDER BY id').fetchall()
    return {r[0]: (r[1], r[2], orjson.loads(r[3])) for r in rows}


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "w.duckdb", clock=ManualClock(1_800_000_000))


def test_newest_wins_and_a_complete_snapshot_tombstones_what_it_lacks(warehouse: Warehouse) -> None:
    warehouse.apply_snapshot(GROUPS, [_group(1, "Tier 1"), _group(2, "Tier 2")], complete=True)
    older = _group(1, "Stale", updated="2025-01-01T00:00:00Z")
    state = warehouse.apply_snapshot(GROUPS, [older, _group(3, "New")], complete=False)
    rows = _rows(warehouse, "groups")
    assert [(k, v[0], v[1]) for k, v in rows.items()] == [(1, "Tier 1", False), (2, "Tier 2", False), (3, "New", False)]
    assert state.rows == 3 and not state.complete  # an incomplete snapshot tombstones nothing

    warehouse.apply_snapshot(GROUPS, [_group(1, "Tier One", updated="2026-02-01T00:00:00Z")], complete=True)
    rows = _rows(warehouse, "groups")
    assert rows[1][:2] == ("Tier One", False)
    assert rows[2] == ("Tier 2", True, _group(2, "Tier 2")) and rows[3][1]  # kept as last seen, marked deleted

    back = warehouse.apply_snapshot(
        GROUPS, [_group(1, "Tier One", updated="2026-02-01T00:00:00Z"), _group(2, "Tier 2")], complete=True
    )
    assert not _rows(warehouse, "groups")[2][1] and back.rows == 3 and warehouse.snapshot_state("groups") == back


def test_the_lists_own_deleted_marker_is_a_tombstone_and_odd_values_stay_in_raw(warehouse: Warehouse) -> None:
    odd = _group(4, "Odd", default="not a boolean")
    warehouse.apply_snapshot(GROUPS, [_group(5, "Gone", deleted=True), odd], complete=True)
    rows = _rows(warehouse, "groups")
    assert rows[5][1] and not rows[4][1] and rows[4][2] == odd
    with warehouse.read() as con:
        assert con.execute('SELECT "default" FROM main.groups WHERE id = 4').fetchone() == (None,)


def test_an_item_without_an_id_writes_nothing(warehouse: Warehouse) -> None:
    warehouse.apply_snapshot(GROUPS, [_group(1, "Tier 1")], complete=True)
    with pytest.raises(WarehouseError, match="no 'id'"):
        warehouse.apply_snapshot(GROUPS, [_group(2, "Two"), {"name": "no id"}], complete=True)
    assert list(_rows(warehouse, "groups")) == [1] and not _rows(warehouse, "groups")[1][1]


def test_ratings_state_holds_the_newest_creation_time(warehouse: Warehouse) -> None:
    ratings = [
        {"id": 7, "score": "good", "created_at": "2026-03-01T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z"},
        {"id": 8, "score": "bad", "created_at": "2026-03-02T10:00:00Z", "updated_at": "2026-03-02T10:00:00Z"},
    ]
    state = warehouse.apply_snapshot(RATINGS, ratings, complete=False)
    assert state.since == 1_772_445_600 and state.rows == 2
    assert warehouse.snapshot_state("groups") is None
