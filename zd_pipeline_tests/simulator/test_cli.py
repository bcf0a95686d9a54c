"""``zd-pipeline simulator``: arguments, and a real run in a subprocess."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import httpx
import pytest

from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator.cli import add_arguments


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_and_options() -> None:
    args = parse([])
    assert (args.host, args.port, args.scale, args.seed, args.rate_limit, args.faults) == (
        "127.0.0.1",
        8765,
        "demo",
        0,
        10,
        "",
    )
    args = parse(["--port", "0", "--scale", "bench", "--seed", "3", "--rate-limit", "0", "--faults", "500=0.1"])
    assert (args.port, args.scale, args.seed, args.rate_limit, args.faults) == (0, "bench", 3, 0, "500=0.1")
    with pytest.raises(SystemExit):
        parse(["--scale", "huge"])


def _start(*extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "zd_pipeline.cli", "simulator", "--port", "0", "--scale", "small", *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_runs_a_server_and_prints_where_and_how_to_connect() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}
    process = _start("--rate-limit", "0", env=env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        url = lines[0].rsplit(" at ", 1)[1].strip()
        assert DEMO_API_TOKEN in lines[2]
        # The socket listens before the URL is printed, so the request waits in the backlog: no polling.
        response = httpx.get(
            f"{url}/api/v2/incremental/organizations.json",
            params={"start_time": 0},
            auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN),
            timeout=30,
        )
        assert response.status_code == 200 and response.json()["count"] > 0
    finally:
        process.terminate()
        process.wait(timeout=60)  # exit after SIGTERM; generous for a loaded CI machine


def test_never_prints_secrets_from_the_environment() -> None:
    env = {**os.environ, "ZENDESK_EMAIL": "ops@example.org", "ZENDESK_API_TOKEN": "very-secret-token"}
    process = _start(env=env)
    try:
        assert process.stdout is not None
        text = "".join(process.stdout.readline() for _ in range(4))
        assert "very-secret-token" not in text and "ZENDESK_API_TOKEN" in text
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)  # exit after SIGTERM; generous under load
    assert "very-secret-token" not in out + err


def test_a_bad_fault_spec_is_refused_with_a_reason() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zd_pipeline.cli", "simulator", "--port", "0", "--faults", "oops=1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "--faults" in result.stderr
