"""A faithful simulator of Zendesk's incremental export API, served over real HTTP (uvicorn).

Every other layer tests against it::

    from zd_pipeline.simulator import Simulator, serve, FaultSpec
    sim = Simulator(scale="small", seed=0, clock=ManualClock(), rate_limit=10, faults=None)
    with serve(sim) as base_url:
        ...  # page http://127.0.0.1:PORT/api/v2/incremental/tickets/cursor.json?start_time=...
    sim.truth("tickets")        # what a complete export returns now
    sim.mutate(updates=5, creates=3, deletes=1)

Modules: :mod:`scales` (sizes, history window), :mod:`ticket_layout` / :mod:`people_layout` / :mod:`routing`
(numpy layouts), :mod:`render_tickets` / :mod:`render_people` (records by position), :mod:`store` (export order,
overlay of changes), :mod:`mutations`, :mod:`paging` / :mod:`exports` (Zendesk paging rules and envelopes),
:mod:`faults` (fault injection, rate limit), :mod:`auth`, :mod:`app` / :mod:`admin` (ASGI), :mod:`server`,
:mod:`cli`.
"""

from zd_pipeline.simulator.auth import Credentials
from zd_pipeline.simulator.core import Simulator
from zd_pipeline.simulator.faults import FaultSpec
from zd_pipeline.simulator.server import serve

__all__ = ["Credentials", "FaultSpec", "Simulator", "serve"]
