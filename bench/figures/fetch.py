"""Figures 1 and 2: the raw fetch rate of a bare httpx loop, and the client's rate as a share of it.

Both page the tickets cursor export of one simulator process, ABBA order (bare, client, client, bare) so drift
in a shared machine's load cancels out; the medians are reported (see ``bench/client_speed.py``).
"""

from __future__ import annotations

from bench.client_speed import measure_rates
from bench.common import Figure, simulator_process
from bench.figures import Profile

CLIENT_GOAL = 0.8


def measure(profile: Profile) -> list[Figure]:
    with simulator_process(profile.fetch_scale) as base_url:
        rates = measure_rates(base_url, profile.fetch_records, profile.fetch_rounds)
    bare, ours = rates["bare httpx"], rates["ZendeskClient"]
    where = f"tickets cursor export, {profile.fetch_scale} scale, {rates['records']:,} records a run"
    return [
        Figure(1, "raw fetch (bare httpx loop)", f"{bare:,.0f} rec/s", "reference", None, where, {"rate": bare}),
        Figure(
            2,
            "client only (parse, dedupe, paging)",
            f"{ours / bare:.2f} × raw ({ours:,.0f} rec/s)",
            f"≥ {CLIENT_GOAL}",
            ours / bare >= CLIENT_GOAL,
            f"median of {2 * profile.fetch_rounds} ABBA runs each",
            {"ratio": ours / bare},
        ),
    ]
