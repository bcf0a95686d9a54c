"""The reference tables end to end: ``zd-pipeline sync`` on the simulator fills each exactly, a deleted item becomes a
tombstone, an account without a feature leaves its table empty, and ratings resume from where they stopped."""

import orjson

from zd_pipeline import cli
from zd_pipeline.catalogue import LISTS
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator import vocab as v
from zd_pipeline.warehouse import Warehouse


def list_state(warehouse: Warehouse, name: str) -> dict:
    """``{id: (deleted, the whole item from _raw)}`` of a reference table."""
    with warehouse.read() as con:
        rows = con.execute(f'SELECT id, _deleted, _raw FROM main."{name}"').fetchall()
    assert len(rows) == len({row[0] for row in rows}), f"{name}: duplicate ids"
    return {row[0]: (bool(row[1]), orjson.loads(row[2])) for row in rows}


def assert_list_matches_truth(warehouse: Warehouse, simulator: Simulator, name: str) -> int:
    """Every live row is an item of the simulator's list, field for field, and every item is a live row."""
    got = {k: raw for k, (deleted, raw) in list_state(warehouse, name).items() if not deleted}
    expected = {item["id"]: item for item in simulator.list_truth(name)}
    assert got == expected, f"{name}: {len(got)} live rows, {len(expected)} items in the simulator"
    return len(expected)


def test_sync_fills_every_reference_table_exactly_and_keeps_deleted_items(pipeline_env, simulator):
    assert cli.main(["sync", "--streams", ",".join(LISTS)]) == 0
    warehouse = Warehouse(pipeline_env["ZD_DUCKDB_PATH"])
    counts = {name: assert_list_matches_truth(warehouse, simulator, name) for name in LISTS}
    assert counts["groups"] == len(v.GROUP_IDS) and counts["satisfaction_ratings"] > 500
    assert counts["group_memberships"] > 100 // 4 and counts["sla_policies"] == 2
    fields = list_state(warehouse, "ticket_fields")
    assert {o["value"] for o in fields[v.CUSTOM_FIELD_REGION][1]["custom_field_options"]} == set(v.REGIONS)
    assert len(list_state(warehouse, "schedules")[26_001][1]["holidays"]) == 3

    deleted_group, deleted_field = v.GROUP_IDS[-1], v.CUSTOM_FIELD_ORDER
    before = list_state(warehouse, "groups")[deleted_group][1]
    assert simulator.delete_item("groups", deleted_group) and simulator.delete_item("ticket_fields", deleted_field)
    assert cli.main(["sync", "--streams", "groups,ticket_fields"]) == 0
    groups, fields = list_state(warehouse, "groups"), list_state(warehouse, "ticket_fields")
    assert groups[deleted_group] == (True, before)  # a tombstone: kept as it was last seen, marked deleted
    assert fields[deleted_field][0] and sum(deleted for deleted, _ in fields.values()) == 1
    for name in ("groups", "ticket_fields"):
        assert_list_matches_truth(warehouse, simulator, name)


def test_an_account_without_sla_policies_or_custom_statuses_syncs_the_rest(pipeline_env, simulator):
    simulator.reference.features_off = frozenset({"sla_policies", "custom_statuses"})
    assert cli.main(["sync", "--streams", "sla_policies,custom_statuses,brands"]) == 0
    warehouse = Warehouse(pipeline_env["ZD_DUCKDB_PATH"])
    assert warehouse.row_count("sla_policies") == warehouse.row_count("custom_statuses") == 0
    assert assert_list_matches_truth(warehouse, simulator, "brands") == 2
