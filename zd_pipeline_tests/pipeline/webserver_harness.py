"""Helpers for tests that talk to a real dagster-webserver over HTTP: a free port, readiness, GraphQL."""

import socket
import subprocess
import time
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
