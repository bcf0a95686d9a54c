"""Serving a :class:`Simulator` over real HTTP with uvicorn, in a background thread (tests) or in the foreground
(the CLI).

``serve`` binds the socket itself before starting uvicorn, so ``port=0`` yields a free port with no race, and
stops the server cleanly (uvicorn's graceful shutdown) when the ``with`` block ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from zd_pipeline.simulator.app import SimulatorApp
from zd_pipeline.simulator.core import Simulator

STARTUP_TIMEOUT_S = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def make_server(sim: Simulator, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        SimulatorApp(sim),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``sim`` on a real uvicorn server in a background thread; yields its base URL (``http://host:port``)."""
    sock = bind(host, port)
    server = make_server(sim)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="zd-simulator", daemon=True)
    thread.start()
    try:
        deadline = threading.Event()
        for _ in range(int(STARTUP_TIMEOUT_S / 0.01)):
            if server.started or not thread.is_alive():
                break
            deadline.wait(0.01)
        if not server.started:
            raise RuntimeError("the simulator server did not start")
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)
        sock.close()
