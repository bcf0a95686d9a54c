"""The simulator's ASGI application: Zendesk's export endpoints under ``/api/v2`` and the admin API under ``/_sim``.

A plain ASGI callable (no framework) because faults need byte-level control of the response: a truncated body
with a consistent ``Content-Length``, or a connection closed mid-body. Endpoints come from the catalogue: every
stream's ``time_path`` (and ``cursor_path``) is served, with or without the ``.json`` suffix, as Zendesk does.

The reference tables' list endpoints (:mod:`lists`) share the same checks and one account-wide rate budget.

Order of checks on an export request: route (404) → method (405) → maintenance window (503 + ``Retry-After``) →
auth (401) → plan (403) → rate limit (429) → injected fault → parameters (400) → page (200). Every API request is
logged; admin requests are not.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs

import orjson

from zd_pipeline.catalogue import STREAMS, Pagination, Stream
from zd_pipeline.simulator.admin import AdminApi, read_body
from zd_pipeline.simulator.core import Simulator
from zd_pipeline.simulator.lists import BUDGET_KEY, list_route
from zd_pipeline.simulator.paging import ApiError, parse_request
from zd_pipeline.simulator.plans import refuse_unless_offered
from zd_pipeline.simulator.responses import respond

Send = Any
TOKEN_PATH = "/oauth/tokens"


def build_routes() -> dict[str, tuple[Stream, Pagination]]:
    """Export path (without ``.json``) → (stream, pagination), from the catalogue."""
    routes: dict[str, tuple[Stream, Pagination]] = {}
    for stream in STREAMS.values():
        for pagination in stream.paginations:
            routes[stream.path_for(pagination).removesuffix(".json")] = (stream, pagination)
    return routes


class _ResetFilter(logging.Filter):
    """Drops uvicorn's complaint about the responses this app cuts on purpose (the ``reset`` fault)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_ResetFilter())


class SimulatorApp:
    """ASGI app over one :class:`Simulator`."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.routes = build_routes()
        self.admin = AdminApi(sim)

    async def __call__(self, scope: dict, receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/_sim/"):
            await self.admin.handle(scope, receive, send)
            return
        if path == TOKEN_PATH:
            status = await self.token(scope, receive, send)
            self.sim.log_request(scope["method"], path, "", status)
            return
        status = await self.api(scope, send, path)
        self.sim.log_request(scope["method"], path, scope["query_string"].decode("latin-1"), status)

    async def api(self, scope: dict, send: Send, path: str) -> int:
        sim = self.sim
        route = self.routes.get(path.removesuffix(".json"))
        listed = list_route(path) if route is None else None  # the reference lists (lists.py)
        try:
            if route is None and listed is None:
                raise ApiError(404, "InvalidEndpoint", "Not found")
            if scope["method"] not in ("GET", "HEAD"):
                raise ApiError(405, "MethodNotAllowed", f"{scope['method']} is not allowed on {path}")
            down = sim.maintenance_headers()
            if down is not None:
                body = {"error": "ServiceUnavailable", "description": "Maintenance: try again after Retry-After"}
                await respond(send, down[0], orjson.dumps(body), down[1])
                return down[0]
            headers = dict(scope["headers"])
            if not sim.authorized(headers.get(b"authorization", b"").decode("latin-1")):
                raise ApiError(401, "Couldn't authenticate you")
            if route is not None:  # a list's plan feature is checked where its page is built (features_off)
                refuse_unless_offered(sim.plan, route[0])
        except ApiError as exc:
            await respond(send, exc.status, orjson.dumps(exc.body))
            return exc.status
        key = route[0].path_for(route[1]) if route is not None else BUDGET_KEY
        allowed, remaining, retry_after = sim.rate_limiter.admit(key)
        limit_headers = []
        if sim.rate_limiter.limit:
            limit_headers = [
                (b"x-rate-limit", str(sim.rate_limiter.limit).encode()),
                (b"x-rate-limit-remaining", str(remaining).encode()),
            ]
        if not allowed:
            return await self._too_many(send, retry_after, limit_headers)
        fault = sim.fault_injector.decide(key)
        if fault == "burst429":
            return await self._too_many(send, 1, limit_headers)
        if fault in ("500", "503"):
            error = "InternalServerError" if fault == "500" else "ServiceUnavailable"
            await respond(
                send, int(fault), orjson.dumps({"error": error, "description": "Simulated failure"}), limit_headers
            )
            return int(fault)
        if fault == "slow":
            await asyncio.sleep(sim.faults.slow_seconds)
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        host = headers.get(b"host", b"").decode("latin-1") or "127.0.0.1"
        try:
            if listed is not None:
                body = sim.list_page(listed, query, f"http://{host}", path)
            else:
                req = parse_request(route[0], route[1], query, sim.clock.now())
                body = sim.page(route[0].name, route[1], req, f"http://{host}", path, "per_page" in query)
        except ApiError as exc:
            await respond(send, exc.status, orjson.dumps(exc.body), limit_headers)
            return exc.status
        if fault == "truncate":
            await respond(send, 200, body[: len(body) // 2], limit_headers)
        elif fault == "reset":
            await respond(send, 200, body[: len(body) // 3], limit_headers, declared_length=len(body), complete=False)
        else:
            await respond(send, 200, body, limit_headers)
        return 200

    async def token(self, scope: dict, receive: Any, send: Send) -> int:
        """Zendesk's OAuth token endpoint (see :mod:`oauth`): a JSON or form body."""
        if scope["method"] != "POST":
            await respond(send, 405, orjson.dumps({"error": "MethodNotAllowed"}))
            return 405
        raw = await read_body(receive)
        try:
            body = orjson.loads(raw) if raw.lstrip().startswith(b"{") else {}
        except orjson.JSONDecodeError:
            body = {}
        if not body:
            body = {key: values[-1] for key, values in parse_qs(raw.decode("latin-1")).items()}
        status, answer = self.sim.oauth_grant(body if isinstance(body, dict) else {})
        await respond(send, status, orjson.dumps(answer))
        return status

    @staticmethod
    async def _too_many(send: Send, retry_after: int, limit_headers: list) -> int:
        body = {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}
        await respond(send, 429, orjson.dumps(body), [(b"retry-after", str(retry_after).encode()), *limit_headers])
        return 429
