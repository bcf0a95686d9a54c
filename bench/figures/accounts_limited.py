"""Figure 12: two accounts rate-limited at once, each against its own bound.

Two accounts at ``L`` requests per minute per endpoint each (each its own simulator process enforcing ``L``, and the
client budgeted at ``L``), synced at once by one ``zd-pipeline sync`` (a process per account). Per account: its
process wall time, as the command reports it, over its own bound, computed from its own simulator's request log
exactly as figure 5's (``max_p floor((n_p - 1) / L) * 60 s``), and its paging (first to last request) over the same
bound. Goal: each ≤ 1.03, no 429. The paging ratio shows whether one account's paging slowed the other's; the rest
of the wall time is each process's own start, bookkeeping and checks, on cores the two processes share.
"""

from __future__ import annotations

import re
from collections import Counter

from bench.common import ALL_STREAMS, Figure, request_log
from bench.figures import Profile, start_date
from bench.figures.accounts import AccountsSandbox, simulators
from bench.figures.rate_limited import GOAL_RATIO, theoretical_bound

_DONE = re.compile(r"account (\w+): done in ([0-9.]+) s")


def measure(profile: Profile) -> list[Figure]:
    limit = profile.limited_rpm
    with simulators(2, profile.limited_scale, rate_limit=limit) as urls:
        with AccountsSandbox(urls, requests_per_minute=limit, since=start_date(profile.limited_days)) as box:
            total, output = box.sync("--streams", ",".join(ALL_STREAMS))
        logs = {name: request_log(url) for name, url in urls.items()}
    seconds = {name: float(s) for name, s in _DONE.findall(output)}
    if set(seconds) != set(urls):
        raise RuntimeError(f"the command did not report every account as done:\n{output[-3000:]}")
    ratios, paging, parts, refused = {}, {}, [], 0
    for name, log in logs.items():
        api = [entry for entry in log if not entry[2].startswith("/_sim")]
        served = Counter(entry[2] for entry in api if entry[4] == 200)
        refused += sum(1 for entry in api if entry[4] == 429)
        bound = theoretical_bound(dict(served), limit)
        ratios[name] = seconds[name] / bound if bound else float("inf")
        span = max(entry[0] for entry in api) - min(entry[0] for entry in api)
        paging[name] = span / bound if bound else float("inf")
        busiest, most = served.most_common(1)[0]
        parts.append(
            f"{name}: {seconds[name]:.1f} s / bound {bound:.0f} s = {ratios[name]:.3f}, paging {span:.1f} s = "
            f"{paging[name]:.3f} (busiest {busiest}, {most} requests)"
        )
    note = (
        f"{profile.limited_scale} scale, last {profile.limited_days} days, {limit}/min per endpoint per account, two "
        f"simulator processes, one `zd-pipeline sync` ({total:.1f} s); " + "; ".join(parts) + f"; {refused} × 429"
    )
    worst = max(ratios.values())
    figure = Figure(
        12,
        f"two accounts rate-limited at once ({limit}/min per endpoint each)",
        " and ".join(f"{r:.3f}" for r in ratios.values())
        + f" × own bound (paging {' and '.join(f'{p:.3f}' for p in paging.values())} ×), {refused} × 429",
        f"each ≤ {GOAL_RATIO}, 0 × 429",
        worst <= GOAL_RATIO and refused == 0,
        note,
        {"ratios": ratios, "paging": paging, "seconds": seconds, "refused": refused},
    )
    return [figure]
