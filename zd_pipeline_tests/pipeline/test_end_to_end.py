"""End to end: a full sync, then Zendesk changes, the lag passes, a sensor-driven run follows: exact replica."""

import dagster as dg

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.definitions import build_definitions
from zd_pipeline.pipeline.partitions import LAG_SECONDS
from zd_pipeline_tests.pipeline.test_sensor import QUIET, _full_sync, _tick
from zd_pipeline_tests.pipeline.truth import assert_matches_truth, table_state


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
