"""The sliding-window throttle: never more than the budget in any rolling minute, per endpoint, across threads."""

import threading

import pytest

from zd_pipeline.client.throttle import SAFETY_MARGIN_SECONDS, WINDOW_SECONDS, SlidingWindowThrottle
from zd_pipeline.clock import ManualClock

WINDOW = WINDOW_SECONDS + SAFETY_MARGIN_SECONDS


def _max_in_any_window(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + WINDOW_SECONDS) for t in times), default=0)


def test_budget_is_spent_at_once_then_paced_by_the_oldest_request() -> None:
    clock = ManualClock(1000.0)
    throttle = SlidingWindowThrottle(3, clock)
    allowed = []
    for _ in range(7):
        with throttle.slot("/a") as at:
            allowed.append(at)
            assert at == clock.now()
    assert allowed == pytest.approx([1000.0] * 3 + [1000.0 + WINDOW] * 3 + [1000.0 + 2 * WINDOW])


def test_a_request_counts_from_when_its_answer_came_back() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(1, clock)
    with throttle.slot("/a"):
        clock.advance(5.0)  # a slow response: the server may have counted it as late as t=5
    with throttle.slot("/a") as at:
        assert at == pytest.approx(5.0 + WINDOW)


def test_zero_turns_the_throttle_off() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(0, clock)
    for _ in range(100):
        with throttle.slot("/a") as at:
            assert at == 0.0
    assert clock.now() == 0.0 and throttle.stamps("/a") == []


def test_endpoints_have_separate_budgets() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(2, clock)
    for endpoint in ("/a", "/a", "/b", "/b", "/c"):
        with throttle.slot(endpoint):
            pass
    assert clock.now() == 0.0


def test_a_failed_request_still_counts() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(1, clock)
    with pytest.raises(RuntimeError), throttle.slot("/a"):
        raise RuntimeError("connection reset")
    assert throttle.stamps("/a") == [0.0]


def test_threads_on_one_endpoint_never_exceed_the_budget() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(5, clock)
    spans: dict[str, list[tuple[float, float]]] = {"/a": [], "/b": []}
    lock = threading.Lock()

    def worker(endpoint: str) -> None:
        for _ in range(12):
            with throttle.slot(endpoint) as start:
                end = clock.now()
            with lock:
                spans[endpoint].append((start, end))

    threads = [threading.Thread(target=worker, args=(e,)) for e in ("/a", "/a", "/b", "/b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for endpoint_spans in spans.values():
        assert len(endpoint_spans) == 24
        # Wherever in [start, end] the server counted each request, no minute holds more than the budget.
        assert _max_in_any_window([s for s, _ in endpoint_spans]) <= 5
        ends = sorted(e for _, e in endpoint_spans)
        starts = sorted(s for s, _ in endpoint_spans)
        assert all(starts[i + 5] >= ends[i] + WINDOW_SECONDS for i in range(len(starts) - 5))


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        SlidingWindowThrottle(-1, ManualClock(0.0))
