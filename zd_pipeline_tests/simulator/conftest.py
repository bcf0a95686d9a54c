"""Fixtures for the simulator's tests: a small account on a ManualClock, served over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.simulator.auth import Credentials

T0 = 1_790_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sim(clock: ManualClock) -> Simulator:
    return Simulator(scale="small", seed=3, clock=clock, rate_limit=None, credentials=Credentials.demo())


@pytest.fixture
def base_url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN), timeout=30) as c:
        yield c
