"""SIGKILL trials: ``python -m bench.kill_trials [--trials 20] [--seed 0]``.

Each trial starts a real ``zd-pipeline sync`` process (tickets, ticket events, users over two weeks of a small
simulated account served from this process, slow pages injected so a sync lasts a few seconds), SIGKILLs it at a
seeded random moment once or twice (each time after a restart), then lets a last sync finish. A trial is exact when
that sync exits 0, every table equals the simulator's ground truth with no id twice, the DuckDB file opened
(read-only, as a user would) after every kill, and no killed run is left "in progress" in Dagster.
Prints one line per trial and the totals; exits 1 if any trial was not exact.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline_tests.reliability.kill import KILL_STREAMS, describe_kill, kill_trial, summarize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=float, default=3.0, help="kill moments are drawn over this many seconds")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    # The simulator runs ten minutes behind the wall clock, like the tests: the sync sees its present as the past.
    simulator = Simulator(scale="small", seed=16, clock=ManualClock(time.time() - 600), rate_limit=None)
    simulator.set_faults("slow=1.0:0.5")  # every page takes half a second more: kills land among the pages
    results = []
    print(f"{args.trials} SIGKILL trials of `zd-pipeline sync --streams {','.join(KILL_STREAMS)}`", flush=True)
    with serve(simulator) as base_url, tempfile.TemporaryDirectory(prefix="zd-kill-") as tmp:
        for number in range(args.trials):
            seed, kills = rng.randrange(2**31), rng.choice((1, 1, 2))
            workdir = Path(tmp) / f"trial-{number}"
            workdir.mkdir()
            result = kill_trial(simulator, base_url, workdir, seed=seed, kills=kills, window=args.window)
            results.append(result)
            verdict = "exact" if result.exact else f"NOT EXACT {result.differences} exit={result.final_exit}"
            kills_text = "; ".join(
                f"{describe_kill(kill, result.rows)} ({moment:.2f} s, {rows or 0:,} rows kept)"
                for kill in result.kills
                for moment, rows in [kill]
            )
            print(
                f"trial {number + 1:2d} seed {seed:10d}: {kills_text}; final sync exit "
                f"{result.final_exit}, {result.rows:,} rows, file opened after every kill: "
                f"{result.opened_after_every_kill}, runs left in progress: {result.runs_in_progress} "
                f"-> {verdict} ({result.seconds:.1f} s)",
                flush=True,
            )
            if not result.exact and result.final_stderr:
                print(result.final_stderr, file=sys.stderr)
    print("totals:", ", ".join(f"{name}: {count}" for name, count in sorted(summarize(results).items())))
    return 0 if all(r.exact for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
