"""Client counters: exact under concurrent updates, per stream and in total."""

import threading

import pytest

from zd_pipeline.client import ClientStats, StreamCounts


def test_concurrent_updates_are_all_counted() -> None:
    stats = ClientStats()

    def work(stream: str) -> None:
        for _ in range(2000):
            stats.add(stream, "requests")
            stats.add(stream, "records", 3)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stats.for_stream("a") == StreamCounts(requests=4000, records=12000)
    assert stats.requests == 8000 and stats.records == 24000
    assert set(stats.streams) == {"a", "b", "c"}
    assert stats.for_stream("never-used") == StreamCounts()


def test_unknown_counters_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown counter 'request'"):
        ClientStats().add("a", "request")


def test_snapshots_serialise_for_run_metadata() -> None:
    stats = ClientStats()
    stats.add("tickets", "responses_429", 2)
    assert stats.for_stream("tickets").to_dict()["responses_429"] == 2
    assert "responses_429': 2" in repr(stats)
