"""The sliding-window throttle: never more than the budget in any rolling minute, per endpoint, across threads."""

import threading

import pytest

from zd_pipeline.client.throttle import SAFETY_MARGIN_SECONDS, WINDOW_SECONDS, SlidingWindowThrottle
from zd_pipeline.clock import ManualClock


def _max_in_any_window(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + WINDOW_SECONDS) for t in times), default=0)


def test_budget_is_spent_at_once_then_paced_by_the_oldest_send() -> None:
    clock = ManualClock(1000.0)
    throttle = SlidingWindowThrottle(3, clock)
    sent = []
    for _ in range(7):
        sent.append(throttle.acquire("/a"))
        assert sent[-1] == clock.now()
    window = WINDOW_SECONDS + SAFETY_MARGIN_SECONDS
    assert sent == pytest.approx([1000.0] * 3 + [1000.0 + window] * 3 + [1000.0 + 2 * window])
    assert _max_in_any_window(sent) == 3


def test_zero_turns_the_throttle_off() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(0, clock)
    for _ in range(100):
        assert throttle.acquire("/a") == 0.0
    assert clock.now() == 0.0


def test_endpoints_have_separate_budgets() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(2, clock)
    for endpoint in ("/a", "/a", "/b", "/b", "/c"):
        throttle.acquire(endpoint)
    assert clock.now() == 0.0


def test_threads_on_one_endpoint_never_exceed_the_budget() -> None:
    clock = ManualClock(0.0)
    throttle = SlidingWindowThrottle(5, clock)
    sent: dict[str, list[float]] = {"/a": [], "/b": []}
    lock = threading.Lock()

    def worker(endpoint: str) -> None:
        for _ in range(12):
            at = throttle.acquire(endpoint)
            with lock:
                sent[endpoint].append(at)

    threads = [threading.Thread(target=worker, args=(e,)) for e in ("/a", "/a", "/b", "/b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for times in sent.values():
        assert len(times) == 24
        assert _max_in_any_window(times) <= 5


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        SlidingWindowThrottle(-1, ManualClock(0.0))
