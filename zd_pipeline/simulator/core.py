"""The :class:`Simulator`: a simulated Zendesk account, its ground truth, its changes and its request log.

It knows nothing of HTTP (see :mod:`app`) and nothing of the client. All access goes through one lock, so the
server thread and a test thread can use it at once.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from zd_pipeline.catalogue import STREAMS, Pagination, get_stream
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.simulator.auth import Credentials
from zd_pipeline.simulator.exports import ExportOptions, export_body, items_json
from zd_pipeline.simulator.faults import FaultInjector, FaultSpec, Maintenance, RateLimiter, as_fault_spec
from zd_pipeline.simulator.lists import ListRoute, list_body
from zd_pipeline.simulator.mutations import Mutator
from zd_pipeline.simulator.oauth import OAuthClient, TokenIssuer
from zd_pipeline.simulator.paging import PageRequest, horizon
from zd_pipeline.simulator.plans import DEFAULT_PLAN, check_plan
from zd_pipeline.simulator.reference import ReferenceData
from zd_pipeline.simulator.scales import Window, get_scale
from zd_pipeline.simulator.store import StreamStore
from zd_pipeline.simulator.world import build_world

TRUTH_LIMIT = 500_000  # records; beyond this truth() refuses and truth_summary() is the way
LogEntry = tuple[float, str, str, str, int]


@contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Simulator:
    """A deterministic Zendesk account.

    * ``scale``: ``small`` (tests; builds in milliseconds, holds a >1000-ticket same-second bulk update),
      ``demo`` (tens of thousands of tickets over the last 90 days), ``bench`` (a million tickets rendered
      page by page from numpy layouts).
    * ``clock``: data is laid out to end a few minutes before ``clock.now()`` at construction; the one-minute
      lag, ``start_time`` validation and the rate-limit window all read this clock (pass a ``ManualClock``).
    * ``rate_limit``: requests per rolling 60 s per endpoint path (None or 0: off).
    * ``faults``: a :class:`FaultSpec` or its string form; change it at run time with :meth:`set_faults`.
    * ``credentials``: default from ``ZENDESK_*`` when any is set, else the public demo ones.
    * ``plan``: the account's Zendesk plan (:mod:`plans`); exports it does not offer answer 403. Change it at run
      time with :meth:`set_plan` (an upgrade or a downgrade).
    * ``features_off``: reference lists whose plan feature the account lacks (``sla_policies``,
      ``custom_statuses``): their endpoints answer 403.
    """

    def __init__(
        self,
        scale: str = "small",
        seed: int = 0,
        clock: Clock | None = None,
        rate_limit: int | None = 10,
        faults: FaultSpec | str | None = None,
        credentials: Credentials | None = None,
        plan: str = DEFAULT_PLAN,
        features_off: tuple[str, ...] = (),
    ) -> None:
        self.scale = get_scale(scale)
        self.seed = int(seed)
        self.clock: Clock = clock or SystemClock()
        self.window = Window.ending_before(self.clock.now())
        self.credentials = credentials or Credentials.from_env()
        self.plan = check_plan(plan)
        self.rate_limiter = RateLimiter(rate_limit, self.clock)
        self.fault_injector = FaultInjector(self.seed, as_fault_spec(faults))
        self.maintenance: Maintenance | None = None
        self.export_options = ExportOptions()
        self.oauth: TokenIssuer | None = None
        self._static_token_requests: int | None = None
        self._lock = threading.RLock()
        self._world = build_world(self.seed, self.scale, self.window)
        self._mutator = Mutator(self._world, self.seed)
        self.reference = ReferenceData(self._world, self.seed, tuple(features_off))
        self._log: list[LogEntry] = []

    def __repr__(self) -> str:
        return f"Simulator(scale={self.scale.name!r}, seed={self.seed}, clock={self.clock!r})"

    # --- faults -------------------------------------------------------------------------------------------------

    @property
    def faults(self) -> FaultSpec:
        return self.fault_injector.spec

    def set_faults(self, faults: FaultSpec | str | None) -> FaultSpec:
        """Replace the fault spec at run time (None or "" turns faults off); the draw sequence restarts."""
        self.fault_injector = FaultInjector(self.seed, as_fault_spec(faults))
        return self.fault_injector.spec

    def start_maintenance(
        self, seconds: float, status: int = 503, retry_after: str = "seconds", step: float | None = None
    ) -> Maintenance:
        """From now, for ``seconds`` on the simulator's clock, answer every export request ``status`` with
        ``Retry-After`` (see :class:`~zd_pipeline.simulator.faults.Maintenance`); ``seconds=0`` ends it."""
        now = self.clock.now()
        self.maintenance = Maintenance(now, now + seconds, status, retry_after, step)
        return self.maintenance

    def maintenance_headers(self) -> tuple[int, list[tuple[bytes, bytes]]] | None:
        """The status and ``Retry-After`` headers to answer now, or ``None`` outside a maintenance window."""
        window, now = self.maintenance, self.clock.now()
        if window is None or not window.active(now):
            return None
        return window.status, window.headers(now)

    def set_export_options(self, **changes: Any) -> ExportOptions:
        """Change how envelopes look (see :class:`~zd_pipeline.simulator.exports.ExportOptions`); the rest stays."""
        self.export_options = dataclasses.replace(self.export_options, **changes)
        return self.export_options

    def set_plan(self, plan: str) -> str:
        """Move the account to another plan now; raises ``ValueError`` for an unknown one."""
        self.plan = check_plan(plan)
        return self.plan

    # --- credentials ---------------------------------------------------------------------------------------------

    def enable_oauth_refresh(self, client: OAuthClient) -> TokenIssuer:
        """Accept the expiring access tokens issued to ``client`` by ``POST /oauth/tokens`` (besides
        ``credentials``)."""
        self.oauth = TokenIssuer(client, self.clock)
        return self.oauth

    def expire_static_oauth_token_after(self, requests: int | None) -> None:
        """After ``requests`` more accepted API requests, the static OAuth token of ``credentials`` is refused
        (it expired mid-sync); ``None`` lifts that."""
        self._static_token_requests = requests

    def authorized(self, authorization: str) -> bool:
        """Whether an API request with this ``Authorization`` header is let in (counts the static token's
        remaining requests)."""
        scheme, _, value = authorization.strip().partition(" ")
        bearer = scheme.lower() == "bearer"
        if self.credentials.accepts(authorization):
            if not bearer or self._static_token_requests is None:
                return True
            with self._lock:
                self._static_token_requests -= 1
                return self._static_token_requests >= 0
        return bearer and self.oauth is not None and self.oauth.accepts(value.strip())

    def oauth_grant(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.oauth is None:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        return self.oauth.grant(body)

    # --- data ---------------------------------------------------------------------------------------------------

    def store(self, stream_name: str) -> StreamStore:
        return self._world.stores[get_stream(stream_name).name]

    def page(
        self, stream_name: str, pagination: Pagination, req: PageRequest, base_url: str, path: str, per_page_given: bool
    ) -> bytes:
        """One export page body, as of the clock's now (the one-minute lag applied)."""
        options = self.export_options
        if options.canonical_host is not None:
            base_url = f"https://{options.canonical_host}"
        with self._lock:
            limit = horizon(self.clock.now())
            store = self.store(stream_name)
            return export_body(store, pagination, req, limit, base_url, path, per_page_given, options)

    def _truth_positions(self, stream_name: str, start: int | None, end: int | None) -> tuple[StreamStore, list]:
        store = self.store(stream_name)
        limit = horizon(self.clock.now())
        if end is not None:
            limit = min(limit, int(end) - 1)
        return store, list(store.scan(store.first_at_or_after(int(start or 0)), limit))

    def truth(
        self, stream_name: str, start: int | None = None, end: int | None = None, include: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """What a complete export of the stream returns as of now: one (newest) version per id for upsert
        streams, every event for append streams; ``[start, end)`` filters the ordering timestamp; sorted by
        (ordering timestamp, id). Sideloads default to the catalogue's (ticket events with comment events).
        Raises ``ValueError`` above :data:`TRUTH_LIMIT` records (use :meth:`truth_summary`)."""
        with self._lock:
            store, positions = self._truth_positions(stream_name, start, end)
            if len(positions) > TRUTH_LIMIT:
                raise ValueError(
                    f"{stream_name}: {len(positions)} records is too many for truth(); use truth_summary()"
                )
            includes = store.stream.sideloads if include is None else tuple(include)
            with _gc_paused():  # only acyclic JSON values are built: collections would find nothing to free
                documents = [
                    doc
                    for at in range(0, len(positions), 10_000)
                    for doc in items_json(store, positions[at : at + 10_000], includes)
                ]
                return orjson.loads(b"[" + b",".join(documents) + b"]")  # fresh objects, JSON types only

    def truth_summary(self, stream_name: str, start: int | None = None, end: int | None = None) -> dict[str, Any]:
        """``count`` and a ``checksum`` (sha256 of ``"{id}:{ordering ts}\\n"`` lines in export order) of the truth."""
        with self._lock:
            store, positions = self._truth_positions(stream_name, start, end)
            digest = hashlib.sha256()
            for pos in positions:
                digest.update(f"{store.id_at(pos)}:{store.ts_at(pos)}\n".encode())
            return {"stream": store.stream.name, "count": len(positions), "checksum": digest.hexdigest()}

    def mutate(self, updates: int = 0, creates: int = 0, deletes: int = 0, seed: int | None = None) -> dict:
        """Change the account now (see :mod:`mutations`).

        Returns ``{stream: {"created": [ids], "updated": [ids], "deleted": [ids]}}`` for every stream (event
        streams only ever have ``created``); deleted means tombstoned (ticket status "deleted", user inactive).
        """
        for name, value in (("updates", updates), ("creates", creates), ("deletes", deletes)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        with self._lock:
            return self._mutator.mutate(self.clock.now(), updates, creates, deletes, seed)

    # --- reference lists ------------------------------------------------------------------------------------------

    def list_page(self, route: ListRoute, query: dict[str, list[str]], base_url: str, path: str) -> bytes:
        """One list endpoint's response body (see :mod:`lists`); raises ``ApiError``."""
        with self._lock:
            return list_body(self.reference, route, query, base_url, path)

    def list_truth(self, name: str) -> list[dict[str, Any]]:
        """Every current item of a reference list as a full read returns it (schedules with their holidays)."""
        with self._lock:
            return self.reference.truth(name)

    def delete_item(self, name: str, item_id: int) -> bool:
        """Delete an item of a reference list (it disappears from the list); ``False`` if there is none."""
        with self._lock:
            return self.reference.delete(name, item_id)

    # --- request log --------------------------------------------------------------------------------------------

    def log_request(self, method: str, path: str, query: str, status: int) -> None:
        with self._lock:
            self._log.append((self.clock.now(), method, path, query, status))

    @property
    def request_log(self) -> list[LogEntry]:
        """(clock time, method, path, query string, status) of every API request so far (admin excluded)."""
        with self._lock:
            return list(self._log)

    def info(self) -> dict[str, Any]:
        return {
            "scale": self.scale.name,
            "seed": self.seed,
            "now": self.clock.now(),
            "history": {"start": self.window.start, "end": self.window.end},
            "streams": {name: len(self._world.stores[name]) for name in STREAMS},
            "faults": str(self.faults),
            "rate_limit": self.rate_limiter.limit,
            "plan": self.plan,
        }
