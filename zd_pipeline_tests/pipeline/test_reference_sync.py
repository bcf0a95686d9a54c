"""The reference tables end to end: ``zd-pipeline sync`` on the simulator fills each exactly, a deleted item becomes a
tombstone, an account without a feature leaves its table empty, and ratings resume from where they stopped."""

import orjson

from zd_pipeline import cli
from zd_pipeline.catalogue import LISTS, to_epoch
from zd_pipeline.catalogue.lists import RATING_LOOKBACK_SECONDS
from zd_pipeline.client import ApiTokenAuth, ClientConfig, ListClient
from zd_pipeline.pipeline.reference_assets import refresh_list
from zd_pipeline.pipeline.runs import run_analytics
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.reference import GROUP_NAMES, REGION_LABELS
from zd_pipeline.simulator.service_levels import SLA_POLICIES
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


def test_analytics_show_names_after_a_sync(pipeline_env, simulator):
    streams = "tickets,ticket_events,users,ticket_metric_events"
    assert cli.main(["sync", "--streams", f"{streams},{','.join(LISTS)}"]) == 0
    assert run_analytics(pipeline_env).success
    with Warehouse(pipeline_env["ZD_DUCKDB_PATH"]).read() as con:
        workload = con.execute("SELECT group_id, group_name FROM analytics.workload_by_group_daily").fetchall()
        policies = con.execute(
            "SELECT DISTINCT policy_id, policy_title FROM analytics.sla_breaches_by_policy"
        ).fetchall()
        regions = con.execute(
            "SELECT value, option_label, field_title FROM analytics.ticket_custom_field_values WHERE field_id = ?",
            [v.CUSTOM_FIELD_REGION],
        ).fetchall()
        rated = con.execute(
            "SELECT sum(good + bad), count(DISTINCT group_name) FROM analytics.satisfaction_ratings_daily"
        )
        rated = rated.fetchone()
    names = dict(zip(v.GROUP_IDS, GROUP_NAMES, strict=True))
    assert workload and all(name == names[gid] for gid, name in workload if gid is not None)
    assert set(policies) <= {(p.id, p.title) for p in SLA_POLICIES} and policies
    assert regions and all(label == REGION_LABELS[value] and title == "Region" for value, label, title in regions)
    live_tickets = [t for t in simulator.truth("tickets") if t["status"] != "deleted"]
    region_values = [f for t in live_tickets for f in t["custom_fields"] if f["id"] == v.CUSTOM_FIELD_REGION]
    assert len(regions) == sum(f["value"] is not None for f in region_values)
    assert rated == (len(simulator.list_truth("satisfaction_ratings")), len(v.GROUP_IDS))


def test_ratings_resume_from_the_newest_stored_minus_the_look_back(pipeline_env, simulator):
    warehouse = Warehouse(pipeline_env["ZD_DUCKDB_PATH"])
    ratings = LISTS["satisfaction_ratings"]
    config = ClientConfig(base_url=pipeline_env["ZENDESK_BASE_URL"], auth=ApiTokenAuth(DEMO_EMAIL, DEMO_API_TOKEN))
    with ListClient(config, requests_per_minute=0) as client:
        first = refresh_list(client, warehouse, ratings)
        second = refresh_list(client, warehouse, ratings)
    newest = max(to_epoch(r["created_at"]) for r in simulator.list_truth("satisfaction_ratings"))
    assert first["complete_snapshot"] and first["since_epoch"] == -1
    assert second["since_epoch"] == newest - RATING_LOOKBACK_SECONDS and not second["complete_snapshot"]
    assert 0 < second["records_fetched"] < first["records_fetched"]
    queries = [query for _, _, path, query, _ in simulator.request_log if path.endswith("satisfaction_ratings")]
    assert "start_time" not in queries[0] and f"start_time={second['since_epoch']}" in queries[-1]
    assert assert_list_matches_truth(warehouse, simulator, "satisfaction_ratings") == first["records_fetched"]
