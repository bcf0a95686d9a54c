"""A tiny loopback HTTP listener for hostile or foreign servers: it answers with a handler's response and records
every request it receives (path, query, headers), so a test can prove what was (never) sent to it.

``http.server`` in a thread: no framework, so the test controls the exact bytes (an HTML page, a JSON body that is
not an export page, records without ``id``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Handler = Callable[[Received, str], Reply]  # (request, this listener's base URL) -> reply


@dataclass
class Listener:
    base_url: str
    received: list[Received] = field(default_factory=list)

    @property
    def authorization_seen(self) -> bool:
        return any("authorization" in r.headers for r in self.received)


def json_reply(body: object, status: int = 200) -> Reply:
    return Reply(status, orjson.dumps(body))


def html_reply(status: int = 200) -> Reply:
    page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>Our company blog</h1></body></html>"
    return Reply(status, page, "text/html; charset=utf-8")


@contextmanager
def listening(handler: Handler) -> Iterator[Listener]:
    """Serve ``handler`` on a free loopback port in a thread; yields the :class:`Listener` (its log grows live)."""
    listener = Listener(base_url="")
    lock = threading.Lock()

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Received(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
            with lock:
                listener.received.append(request)
            reply = handler(request, listener.base_url)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    listener.base_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
