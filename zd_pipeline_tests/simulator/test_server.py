"""``serve`` runs a real uvicorn server on a free loopback port and stops it cleanly."""

from __future__ import annotations

import httpx
import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator, serve


def test_serve_binds_a_free_port_and_stops_cleanly() -> None:
    sim = Simulator(clock=ManualClock(1_790_000_000), rate_limit=None)
    with serve(sim) as url, serve(sim) as second:
        assert url.startswith("http://127.0.0.1:") and url != second
        assert httpx.get(f"{url}/_sim/info").json()["scale"] == "small"
        with httpx.Client() as keep_alive:  # one connection, several requests
            assert [keep_alive.get(f"{url}/_sim/info").status_code for _ in range(3)] == [200] * 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sim/info")
