"""Fault injection (deterministic from the seed) and the fault spec, unit and over HTTP."""

from __future__ import annotations

import httpx
import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import FaultSpec, Simulator
from zd_pipeline.simulator.faults import FaultInjector, RateLimiter

PARAMS = {"start_time": 0, "per_page": 20}


def test_spec_parses_shares_and_arguments() -> None:
    spec = FaultSpec.parse("500=0.05,503=0.05,truncate=0.02,slow=0.01:2.5,burst429=0.01:4,reset=0.01")
    assert (spec.error_500, spec.error_503, spec.truncate, spec.slow, spec.reset) == (0.05, 0.05, 0.02, 0.01, 0.01)
    assert (spec.slow_seconds, spec.burst429, spec.burst_length) == (2.5, 0.01, 4)
    assert FaultSpec.parse(str(spec)) == spec
    assert not FaultSpec.parse("").active


@pytest.mark.parametrize("bad", ["boom=0.1", "500", "500=lots", "500=0.7,503=0.7", "500=-0.1", "burst429=0.1:0"])
def test_bad_specs_name_what_to_fix(bad: str) -> None:
    with pytest.raises(ValueError, match=r"fault|share|burst"):
        FaultSpec.parse(bad)


def test_injection_is_deterministic_from_the_seed_and_matches_the_shares() -> None:
    spec = FaultSpec.parse("500=0.2,truncate=0.1")
    one, two, other = FaultInjector(7, spec), FaultInjector(7, spec), FaultInjector(8, spec)
    a = [one.decide("/p") for _ in range(2000)]
    assert a == [two.decide("/p") for _ in range(2000)]
    assert a != [other.decide("/p") for _ in range(2000)]
    assert 0.15 < a.count("500") / 2000 < 0.25 and 0.06 < a.count("truncate") / 2000 < 0.14


def test_a_429_burst_hits_the_same_path_consecutively() -> None:
    injector = FaultInjector(1, FaultSpec(burst429=1.0, burst_length=3))
    assert [injector.decide("/a") for _ in range(3)] == ["burst429"] * 3


def test_rate_limiter_window_rolls_with_the_clock() -> None:
    clock = ManualClock(0)
    limiter = RateLimiter(2, clock)
    assert limiter.admit("/x")[0] and limiter.admit("/x")[0]
    assert limiter.admit("/x") == (False, 0, 60)
    clock.advance(60)
    assert limiter.admit("/x")[0]


def _served(sim: Simulator, client: httpx.Client, n: int) -> list[object]:
    outcomes: list[object] = []
    for _ in range(n):
        try:
            response = client.get(TICKETS.time_path, params=PARAMS)
        except httpx.TransportError as exc:
            outcomes.append(type(exc).__name__)
            continue
        try:
            response.json()
            outcomes.append(response.status_code)
        except ValueError:
            outcomes.append("bad-json")
    return outcomes


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("500=1", 500),
        ("503=1", 503),
        ("truncate=1", "bad-json"),
        ("reset=1", "RemoteProtocolError"),
        ("burst429=1:2", 429),
    ],
)
def test_each_fault_over_http(client: httpx.Client, sim: Simulator, spec: str, expected: object) -> None:
    sim.set_faults(spec)
    assert _served(sim, client, 3) == [expected] * 3
    assert client.get("/_sim/info").status_code == 200  # admin never faulted
    sim.set_faults(None)
    assert _served(sim, client, 1) == [200]


def test_a_burst_429_carries_retry_after(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults("burst429=1:1")
    response = client.get(TICKETS.time_path, params=PARAMS)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1


def test_slow_responses_take_real_time(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults("slow=1:0.3")
    response = client.get(TICKETS.time_path, params=PARAMS)
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3


def test_same_seed_same_faults_over_http(clock: ManualClock, sim: Simulator, client: httpx.Client) -> None:
    sim.set_faults("500=0.3,truncate=0.2")
    first = _served(sim, client, 12)
    sim.set_faults("500=0.3,truncate=0.2")
    assert _served(sim, client, 12) == first
    assert {500, 200, "bad-json"} <= set(first)


def test_faults_toggle_through_the_admin_api(client: httpx.Client, sim: Simulator) -> None:
    assert client.post("/_sim/faults", json={"spec": "503=1"}).json() == {"faults": "503=1.0"}
    assert client.get(TICKETS.time_path, params=PARAMS).status_code == 503
    assert client.post("/_sim/faults", json={"spec": None}).json() == {"faults": ""}
    assert client.get(TICKETS.time_path, params=PARAMS).status_code == 200
    assert client.post("/_sim/faults", json={"spec": "nope=1"}).status_code == 400
