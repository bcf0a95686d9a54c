"""Faults survived end to end: the simulator injects them, a Dagster run syncs through them into a DuckDB file,
and the tables equal the simulator's ground truth afterwards.

Each case pages two streams of different pagination kinds (users: cursor, organizations: time-based) with a small
``per_page`` so a sync makes enough requests for the faults to land, and checks that they did land (the client's
retry counters in the materialization metadata, the simulator's request log).
"""

from urllib.parse import parse_qs

import pytest

from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

STREAMS = ["users", "organizations"]
PER_PAGE = 15
FOREVER = 2**40


def _sync(env, instance, **zendesk):
    outcome = run_sync(env, STREAMS, instance=instance, resource_config={"zendesk": {"per_page": PER_PAGE, **zendesk}})
    assert outcome.success, outcome.failure
    figures = {key: sum(meta[key] for meta in outcome.streams.values()) for key in ("requests", "retries", "pages")}
    print(f"\nFAULTS SURVIVED | {figures}")  # pytest -s shows what each case injected and the sync got through
    return outcome


def _assert_exact(warehouse, simulator, start_epoch):
    for name in STREAMS:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0


def _retries(outcome) -> int:
    return sum(meta["retries"] for meta in outcome.streams.values())


@pytest.mark.parametrize(
    ("spec", "statuses"),
    [
        ("500=0.2,503=0.2", {500, 503}),  # 5xx bursts
        ("truncate=0.4", set()),  # a 200 whose JSON body is cut in half
        ("reset=0.4", set()),  # the connection dropped mid-body
    ],
    ids=["5xx", "truncated-json", "connection-reset"],
)
def test_transient_faults_are_retried_and_the_tables_equal_the_truth(
    spec, statuses, pipeline_env, simulator, shared_clock, instance, warehouse, start_epoch
):
    simulator.set_faults(spec)
    outcome = _sync(pipeline_env, instance)
    assert _retries(outcome) >= 2, outcome.streams
    seen = {entry[4] for entry in simulator.request_log}
    assert statuses <= seen
    _assert_exact(warehouse, simulator, start_epoch)


def test_a_429_storm_is_waited_out_with_retry_after(
    pipeline_env, simulator, shared_clock, instance, warehouse, start_epoch
):
    """Zendesk's own limit (3 requests a minute per endpoint here) plus injected bursts of four 429s; the client
    has no throttle of its own (ZENDESK_REQUESTS_PER_MINUTE=0), so only Retry-After keeps it polite. The storm
    is far longer than the six retries a 5xx gets: waits the server asked for are not failures."""
    simulator.rate_limiter.limit = 3
    simulator.set_faults("burst429=0.3:4")
    started = shared_clock.now()
    outcome = _sync(pipeline_env, instance)
    log = simulator.request_log
    refused = [entry for entry in log if entry[4] == 429]
    users_served = sum(1 for entry in log if entry[4] == 200 and "/users/" in entry[2])
    assert sum(meta["responses_429"] for meta in outcome.streams.values()) == len(refused) >= 6
    # Retry-After was honoured: three users requests a minute, so the sync took simulated minutes (a client
    # ignoring Retry-After would have hammered the endpoint and run out of attempts within seconds).
    assert shared_clock.now() - started >= 60 * ((users_served - 1) // 3)
    _assert_exact(warehouse, simulator, start_epoch)


def test_slow_pages_hit_the_timeout_and_per_page_backs_off(
    pipeline_env, simulator, shared_clock, instance, warehouse, start_epoch
):
    simulator.set_faults("slow=0.4:0.8")
    outcome = _sync(pipeline_env, instance, timeout=0.4)
    assert _retries(outcome) >= 2
    sizes = [int(parse_qs(entry[3])["per_page"][0]) for entry in simulator.request_log if "per_page" in entry[3]]
    assert max(sizes) == PER_PAGE and min(sizes) < PER_PAGE  # halved after a timeout, doubled back after
    _assert_exact(warehouse, simulator, start_epoch)
