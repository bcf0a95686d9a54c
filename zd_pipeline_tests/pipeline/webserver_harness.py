"""Helpers for tests that talk to a real dagster-webserver over HTTP: a free port, readiness, GraphQL."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Poll until the server answers (readiness of another process, not waiting for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = process.stderr.read().decode()[-2000:] if process.stderr else ""
            raise AssertionError(f"exited with {process.returncode} before the webserver was ready: {detail}")
        try:
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError("dagster-webserver did not become ready")


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    """The ``data`` of a GraphQL answer; an answer with ``errors`` fails the test with them."""
    body = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


@contextmanager
def running_webserver(env: Mapping[str, str], cwd: Path) -> Iterator[str]:
    """``dagster-webserver`` on the project's definitions, in its own process group, with ``env``; yields its URL
    once it answers and kills the whole group afterwards (the code server it starts included)."""
    port = free_port()
    command = [sys.executable, "-m", "dagster_webserver", "-m", "zd_pipeline.definitions"]
    process = subprocess.Popen(
        [*command, "-h", "127.0.0.1", "-p", str(port)],
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
