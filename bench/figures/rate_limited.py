"""Figure 5: a rate-limited sync of every stream, its wall time against the theoretical bound, and its 429s.

The simulator enforces ``L`` requests per rolling minute per endpoint path and the pipeline is budgeted at the
same ``L`` (``ZENDESK_REQUESTS_PER_MINUTE``). From the simulator's request log, endpoint ``p`` needed ``n_p``
successful requests. Within one rolling 60-s window at most ``L`` requests of an endpoint may arrive, so its
``n``-th request can arrive no earlier than ``floor((n - 1) / L) * 60`` s after its first, and endpoints run in
parallel::

    bound = max over endpoints p of floor((n_p - 1) / L) * 60 s

The figure is the ``zd-pipeline sync`` process's whole wall time (Python start, Dagster, the last pages'
writes, the asset checks) over that bound; 429s are counted in the simulator's log and in the run's metadata.
"""

from __future__ import annotations

from collections import Counter

from bench.common import ALL_STREAMS, Figure, SyncSandbox, request_log, simulator_process
from bench.figures import Profile, start_date

GOAL_RATIO = 1.03


def theoretical_bound(requests_per_endpoint: dict[str, int], limit: int) -> float:
    """Seconds: ``max_p floor((n_p - 1) / L) * 60`` (0 when every endpoint fits one window)."""
    return max((max(n - 1, 0) // limit) * 60.0 for n in requests_per_endpoint.values())


def measure(profile: Profile) -> list[Figure]:
    limit = profile.limited_rpm
    with simulator_process(profile.limited_scale, rate_limit=limit) as base_url:
        with SyncSandbox(base_url, requests_per_minute=limit, start_date=start_date(profile.limited_days)) as box:
            run = box.sync(ALL_STREAMS)
            meta = box.materializations(ALL_STREAMS)
        log = request_log(base_url)
    api = [entry for entry in log if not entry[2].startswith("/_sim")]
    served = Counter(entry[2] for entry in api if entry[4] == 200)
    refused = sum(1 for entry in api if entry[4] == 429)
    received_429 = sum(int(m.get("responses_429", 0)) for m in meta.values())
    bound = theoretical_bound(dict(served), limit)
    ratio = run.seconds / bound if bound else float("inf")
    busiest, most = served.most_common(1)[0]
    span = max(e[0] for e in api) - min(e[0] for e in api)
    paging = span / bound if bound else float("inf")
    note = (
        f"{profile.limited_scale} scale, last {profile.limited_days} days, {limit}/min per endpoint; "
        f"busiest {busiest} needed {most} requests; bound = max_p floor((n_p-1)/{limit})·60 s = {bound:.0f} s; "
        f"sync process {run.seconds:.1f} s, first to last request {span:.1f} s; "
        f"429s: {refused} sent by the simulator, {received_429} in the run's metadata"
    )
    return [
        Figure(
            5,
            f"rate-limited end to end ({limit}/min per endpoint)",
            f"{ratio:.3f} × bound (paging {paging:.3f} ×), {refused} × 429",
            f"≤ {GOAL_RATIO}, 0 × 429",
            ratio <= GOAL_RATIO and refused == 0 and received_429 == 0,
            note,
            {"ratio": ratio, "paging_ratio": paging, "bound": bound, "seconds": run.seconds, "refused": refused},
        )
    ]
