"""The admin API under ``/_sim`` for tests and benchmarks: never authenticated, rate-limited or faulted, and
answered only to loopback clients (403 otherwise).

* ``GET  /_sim/info``                          scale, seed, clock, history window, stream sizes
* ``GET  /_sim/truth/{stream}?start=&end=``    the ground truth as a JSON list; at bench scale (or with
                                               ``summary=1``) ``{stream, count, checksum}`` instead
* ``POST /_sim/mutate``                        JSON body = :meth:`Simulator.mutate` kwargs; answers the ids touched
* ``POST /_sim/clock/advance?seconds=N``       only with a ``ManualClock`` (409 otherwise)
* ``GET  /_sim/requests``                      the request log as a list of [time, method, path, query, status]
* ``POST /_sim/faults``                        body ``{"spec": "500=0.1,..."}`` (empty or null clears)
* ``POST /_sim/maintenance``                   body = :meth:`Simulator.start_maintenance` kwargs
* ``POST /_sim/options``                       body = :meth:`Simulator.set_export_options` kwargs
* ``POST /_sim/plan``                          body ``{"plan": "professional"}``: the account's plan from now on
* ``GET  /_sim/lists/{name}``                  a reference list's items as a full read returns them
* ``POST /_sim/lists/{name}/delete?id=N``      delete an item of a reference list: ``{"deleted": true|false}``
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs

import orjson

from zd_pipeline.catalogue import LISTS
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator.core import Simulator
from zd_pipeline.simulator.paging import ApiError
from zd_pipeline.simulator.responses import respond

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


async def read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _int(query: dict[str, list[str]], name: str) -> int | None:
    raw = query.get(name, [""])[-1]
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "InvalidValue", f"{name} must be a whole number, got {raw!r}") from None


class AdminApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def handle(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            client = (scope.get("client") or ("", 0))[0]
            if client not in LOOPBACK:
                raise ApiError(403, "Forbidden", "the admin API answers loopback clients only")
            query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            body = await read_body(receive) if scope["method"] == "POST" else b""
            result = self.dispatch(scope["method"], scope["path"], query, body)
            await respond(send, 200, orjson.dumps(result))
        except ApiError as exc:
            await respond(send, exc.status, orjson.dumps(exc.body))

    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Any:
        sim = self.sim
        parts = path.strip("/").split("/")[1:]
        if method == "GET" and parts == ["info"]:
            return sim.info()
        if method == "GET" and len(parts) == 2 and parts[0] == "truth":
            return self.truth(parts[1], query)
        if method == "POST" and parts == ["mutate"]:
            kwargs = self._json(body) or {}
            try:
                return sim.mutate(**kwargs)
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "InvalidValue", str(exc)) from None
        if method == "POST" and parts == ["clock", "advance"]:
            if not isinstance(sim.clock, ManualClock):
                raise ApiError(409, "Conflict", "the simulator's clock is not a ManualClock")
            try:
                seconds = float(query.get("seconds", ["0"])[-1] or 0)
            except ValueError:
                raise ApiError(400, "InvalidValue", "seconds must be a number") from None
            if seconds < 0:
                raise ApiError(400, "InvalidValue", "seconds must be >= 0")
            return {"now": sim.clock.advance(seconds)}
        if method == "GET" and parts == ["requests"]:
            return [list(entry) for entry in sim.request_log]
        if method == "POST" and parts == ["faults"]:
            spec = (self._json(body) or {}).get("spec")
            try:
                return {"faults": str(sim.set_faults(spec or None))}
            except ValueError as exc:
                raise ApiError(400, "InvalidValue", str(exc)) from None
        if method == "POST" and parts == ["maintenance"]:
            try:
                window = sim.start_maintenance(**(self._json(body) or {}))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "InvalidValue", str(exc)) from None
            return {"start": window.start, "end": window.end}
        if method == "POST" and parts == ["options"]:
            try:
                return dataclasses.asdict(sim.set_export_options(**(self._json(body) or {})))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "InvalidValue", str(exc)) from None
        if method == "POST" and parts == ["plan"]:
            try:
                return {"plan": sim.set_plan(str((self._json(body) or {}).get("plan")))}
            except ValueError as exc:
                raise ApiError(400, "InvalidValue", str(exc)) from None
        if len(parts) >= 2 and parts[0] == "lists":
            return self.lists(method, parts[1:], query)
        raise ApiError(404, "InvalidEndpoint", "Not found")

    def lists(self, method: str, parts: list[str], query: dict[str, list[str]]) -> Any:
        if parts[0] not in LISTS:
            raise ApiError(404, "InvalidEndpoint", f"unknown reference list {parts[0]!r}")
        if method == "GET" and len(parts) == 1:
            return self.sim.list_truth(parts[0])
        if method == "POST" and parts[1:] == ["delete"]:
            item_id = _int(query, "id")
            if item_id is None:
                raise ApiError(400, "InvalidValue", "id is required")
            return {"deleted": self.sim.delete_item(parts[0], item_id)}
        raise ApiError(404, "InvalidEndpoint", "Not found")

    def truth(self, stream: str, query: dict[str, list[str]]) -> Any:
        start, end = _int(query, "start"), _int(query, "end")
        try:
            if query.get("summary") or self.sim.scale.name == "bench":
                return self.sim.truth_summary(stream, start, end)
            return self.sim.truth(stream, start, end)
        except KeyError as exc:
            raise ApiError(404, "InvalidEndpoint", str(exc.args[0])) from None

    @staticmethod
    def _json(body: bytes) -> Any:
        if not body.strip():
            return None
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ApiError(400, "InvalidValue", "the body must be JSON") from None
