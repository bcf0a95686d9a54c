"""End to end: a full sync, then Zendesk changes, the lag passes, a sensor-driven run follows: exact replica."""

import dagster as dg

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.partitions import LAG_SECONDS
from zd_pipeline_tests.pipeline.test_sensor import QUIET, _full_sync, _tick
from zd_pipeline_tests.pipeline.truth import assert_history_matches_truth, assert_matches_truth, table_state


def _run_sensor_request(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    request = _tick(defs, instance, cursor=None).run_requests[0]
    job = defs.resolve_job_def("zendesk_sync")
    result = job.execute_in_process(
        instance=instance,
        asset_selection=request.asset_selection,
        tags=request.tags,
        run_config={**QUIET, **request.run_config},
    )
    assert result.success


def test_changes_deletions_and_the_one_minute_lag(pipeline_env, simulator, sim_clock, instance, warehouse):
    defs = build_definitions(pipeline_env)
    _full_sync(defs, instance)
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name)
    rows_before = warehouse.row_count("tickets")

    changed = simulator.mutate(updates=40, creates=25, deletes=6)
    # Within the lag: Zendesk does not serve the last minute yet, so a sync sees none of it.
    _run_sensor_request(defs, instance)
    assert warehouse.row_count("tickets") == rows_before

    sim_clock.advance(LAG_SECONDS + 1)
    _run_sensor_request(defs, instance)
    for name in STREAMS:
        assert_matches_truth(warehouse, simulator, name)
    assert warehouse.row_count("tickets") == rows_before + 25
    tickets = table_state(warehouse, "tickets")
    deleted = [tid for tid in changed["tickets"]["deleted"]]
    assert deleted and all(tickets[tid][1] for tid in deleted)
    # routing: each id's newest state (renames, removals as tombstones) and every change in the history
    routing = [name for name, stream in STREAMS.items() if stream.history_key]
    for name in routing:
        assert assert_history_matches_truth(warehouse, simulator, name) > len(table_state(warehouse, name))
    values = table_state(warehouse, "routing_attribute_values")
    (renamed,) = changed["routing_attribute_values"]["updated"]
    assert values[renamed][2]["name"].endswith(f"(v{values[renamed][0]})")  # the rename of this sync
    skills = table_state(warehouse, "routing_instance_values")
    removed = changed["routing_instance_values"]["deleted"]
    assert removed and all(skills[i][1] and skills[i][2]["type"] == "unassociate_agent" for i in removed)
    kinds = {(state[2]["type"], state[1]) for state in skills.values()}
    assert {("associate_agent", False), ("unassociate_agent", True), ("unassociate_ticket", True)} <= kinds
