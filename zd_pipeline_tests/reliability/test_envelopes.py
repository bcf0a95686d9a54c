"""Envelopes as real accounts shape them, end to end through ``zd-pipeline sync`` on a real Dagster instance and
DuckDB file: links naming the account's canonical host behind a proxy, time-based pages without
``end_of_stream``, cursors holding ``+``, ``/`` and ``=``, and empty cursor pages before the end.

Each case turns one simulator option on, syncs, and checks that the option showed (the request log) and that
the tables equal the truth. ``per_page`` is small so every stream pages many times.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from zd_pipeline.catalogue import USERS
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline.simulator.paging import cursor_mark
from zd_pipeline_tests.pipeline.truth import assert_matches_truth

FOREVER = 2**40


@pytest.fixture
def start_date() -> str:
    """A week: enough pages for every case, a quarter of the partitions' bookkeeping of the package's month."""
    return (datetime.now(UTC).date() - timedelta(days=7)).isoformat()


PER_PAGE = 20


def _sync(env, instance, simulator, warehouse, streams, start_epoch):
    outcome = run_sync(env, streams, instance=instance, resource_config={"zendesk": {"per_page": PER_PAGE}})
    assert outcome.success, outcome.failure
    for name in streams:
        assert assert_matches_truth(warehouse, simulator, name, start_epoch, FOREVER) > 0
    return outcome


def _queries(simulator, fragment: str) -> list[dict[str, list[str]]]:
    return [parse_qs(entry[3]) for entry in simulator.request_log if fragment in entry[2] and entry[4] == 200]


def test_links_naming_the_canonical_host_are_followed_on_the_configured_base(
    pipeline_env, simulator, instance, warehouse, start_epoch
):
    """The simulator stands behind a "proxy" (the loopback base URL) and writes every link with
    ``https://acme.zendesk.com``: each export pages to its end on the base URL; nothing is sent elsewhere (a
    request to acme.zendesk.com would fail the run: the name does not resolve here)."""
    simulator.set_export_options(canonical_host="acme.zendesk.com")
    streams = ["ticket_metric_events", "users", "routing_instance_values"]
    _sync(pipeline_env, instance, simulator, warehouse, streams, start_epoch)
    assert len(_queries(simulator, "/users/cursor")) >= 2 and len(_queries(simulator, "/ticket_metric_events")) > 2


def test_time_pages_without_end_of_stream_page_to_the_end(pipeline_env, simulator, instance, warehouse, start_epoch):
    simulator.set_export_options(omit_end_of_stream=("ticket_metric_events", "organizations"))
    _sync(pipeline_env, instance, simulator, warehouse, ["ticket_metric_events", "organizations"], start_epoch)
    assert len(_queries(simulator, "/ticket_metric_events")) > 2


def test_cursors_with_plus_slash_and_equals_and_empty_pages_before_the_end(
    pipeline_env, simulator, instance, warehouse, start_epoch
):
    simulator.set_export_options(cursor_style="standard", empty_pages=True)
    streams = ["users", "tickets", "routing_instance_values"]
    _sync(pipeline_env, instance, simulator, warehouse, streams, start_epoch)
    cursors = [q["cursor"][0] for q in _queries(simulator, "/users/cursor") if "cursor" in q]
    assert cursors and all("+" in c and "/" in c and c.endswith("=") for c in cursors)
    assert any(cursor_mark(USERS, c) == "empty" for c in cursors)  # the client paged on past empty pages
    assert len(_queries(simulator, "/routing/instance_values")) >= 2
