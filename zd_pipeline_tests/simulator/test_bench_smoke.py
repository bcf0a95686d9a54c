"""A tiny smoke run of ``bench/sim_speed.py``'s loop against a small simulator: it counts what truth holds."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from bench import sim_speed
from zd_pipeline.catalogue import Pagination
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Simulator, serve


@pytest.mark.parametrize("parse", [False, True])
def test_the_speed_loop_counts_every_ticket(sim: Simulator, parse: bool) -> None:
    with serve(sim) as url, httpx.Client(base_url=url, auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN)) as client:
        tickets, pages, size, seconds = sim_speed.run_export(client, Pagination.CURSOR, 10**9, parse)
    assert tickets == len(sim.truth("tickets")) and pages >= 3 and size > 0 and seconds > 0


def test_the_cli_parser_stays_light() -> None:
    code = "import sys, zd_pipeline.simulator.cli; print('numpy' in sys.modules, 'uvicorn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
