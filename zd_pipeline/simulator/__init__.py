"""A faithful simulator of Zendesk's incremental export API, served over real HTTP (uvicorn).

Every other layer tests against it::

    from zd_pipeline.simulator import Simulator, serve, FaultSpec
    sim = Simulator(scale="small", seed=0, clock=ManualClock(), rate_limit=10, faults=None)
    with serve(sim) as base_url:
        ...  # page http://127.0.0.1:PORT/api/v2/incremental/tickets/cursor.json?start_time=...
    sim.truth("tickets")        # what a complete export returns now
    sim.mutate(updates=5, creates=3, deletes=1)

Modules, bottom up: :mod:`rand` (index-addressable randomness), :mod:`scales` (sizes, history window),
:mod:`lifecycle` (status paths, metric kinds), :mod:`ticket_layout` / :mod:`people_layout` / :mod:`routing`
(numpy layouts of each stream's timestamps), :mod:`ticket_facts` / :mod:`ticket_bytes` / :mod:`render_tickets` /
:mod:`render_people` (records rendered by position, tickets straight to JSON bytes), :mod:`store` (export order
plus an overlay of changes), :mod:`world` (wires the streams), :mod:`mutations`, :mod:`paging` / :mod:`exports`
(Zendesk's paging rules and envelopes), :mod:`faults` (fault injection, rate limit), :mod:`auth`,
:mod:`core` (the :class:`Simulator`), :mod:`app` / :mod:`admin` / :mod:`responses` (ASGI), :mod:`server`,
:mod:`cli`. Speed: ``python -m bench.sim_speed``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zd_pipeline.simulator.auth import Credentials
    from zd_pipeline.simulator.core import Simulator
    from zd_pipeline.simulator.faults import FaultSpec
    from zd_pipeline.simulator.server import serve

__all__ = ["Credentials", "FaultSpec", "Simulator", "serve"]

# Imported on first use, so ``zd-pipeline simulator --help`` (which imports ``cli``) loads no numpy or uvicorn.
_HOMES = {"Credentials": "auth", "Simulator": "core", "FaultSpec": "faults", "serve": "server"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"zd_pipeline.simulator.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
