"""``run_sync`` after a successful sync: resumes every stream from its checkpoint over only the recent days."""

from zd_pipeline.pipeline.partitions import LAG_SECONDS
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

RANGE_START = "dagster/asset_partition_range_start"


def test_a_second_sync_covers_only_recent_days_and_still_equals_the_truth(
    pipeline_env, simulator, sim_clock, instance, warehouse
):
    names = ["tickets", "users", "organizations", "ticket_events"]
    first = run_sync(pipeline_env, names, instance=instance)
    assert first.success, first.failure
    first_start = instance.get_run_by_id(first.run_id).tags[RANGE_START]

    simulator.mutate(updates=40, creates=25, deletes=6)
    sim_clock.advance(LAG_SECONDS + 1)
    second = run_sync(pipeline_env, names, instance=instance)
    assert second.success, second.failure
    second_start = instance.get_run_by_id(second.run_id).tags[RANGE_START]

    assert second_start > first_start  # not every partition since the start date again
    assert 0 < sum(meta["records_fetched"] for meta in second.streams.values()) < 1000
    for name in names:
        assert_matches_truth(warehouse, simulator, name)
