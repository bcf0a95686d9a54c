"""``make bench`` / ``make bench-quick``: every benchmark figure in one table, measured in one run.

Run: ``.venv/bin/python -m bench.run [--quick] [--only 1,2,5]``

Each row is a figure, its measured value, its goal and pass/fail; under the table the machine (cores, RAM, CPU
model, Python, library versions, load) and the command. ``--quick`` swaps the sizes for smaller scales and a
higher simulated rate limit (a few minutes in all). Figures are ratios measured in the same run where they can be,
because these machines are shared and noisy. A figure that crashes is reported as a failed row with its error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.table import Table

from bench.common import Figure, machine
from bench.figures import FULL, PROFILES, QUICK, Profile

# Figure numbers -> the module measuring them (``measure(profile) -> list[Figure]``).
MODULES: dict[tuple[int, ...], str] = {
    (1, 2): "bench.figures.fetch",
    (3, 9): "bench.figures.warehouse",
    (4,): "bench.figures.e2e",
    (5,): "bench.figures.rate_limited",
    (6,): "bench.figures.memory",
    (7,): "bench.figures.incremental",
    (8,): "bench.figures.sensor_latency",
    (10,): "bench.figures.bookkeeping",
    (11,): "bench.figures.accounts",
    (12,): "bench.figures.accounts_limited",
}


def collect(profile: Profile, only: set[int] | None = None, log: Callable[[str], None] = print) -> list[Figure]:
    """Measure the selected figures in order; a module that raises yields failed rows naming the error."""
    figures: list[Figure] = []
    for numbers, module_name in MODULES.items():
        if only is not None and not only.intersection(numbers):
            continue
        log(f"measuring figure {'+'.join(map(str, numbers))} ({module_name}) ...")
        began = time.perf_counter()
        try:
            measured = importlib.import_module(module_name).measure(profile)
        except Exception as exc:  # one broken figure must not hide the others
            traceback.print_exc()
            measured = [Figure(n, module_name, "error", "", False, f"{type(exc).__name__}: {exc}") for n in numbers]
        log(f"  ... {time.perf_counter() - began:.0f} s")
        figures += [f for f in measured if only is None or f.number in only]
    return figures


def table(figures: Sequence[Figure], profile: Profile, command: str) -> Table:
    verdicts = {True: "[green]PASS[/]", False: "[red]FAIL[/]", None: "-"}
    result = Table(title=f"zd-pipeline benchmarks ({profile.name})", show_lines=True)
    for column in ("#", "figure", "measured", "goal", "result", "how"):
        result.add_column(column, overflow="fold")
    for f in figures:
        result.add_row(str(f.number), f.name, f.value, f.goal, verdicts[f.passed], f.note)
    described = "; ".join(f"{k}: {v}" for k, v in machine().items())
    result.caption = f"{described}\ncommand: {command}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller scales, a higher limit: a few minutes")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="explicit sizes (toy: the test suite's)")
    parser.add_argument("--only", help="comma-separated figure numbers, e.g. 1,2,5")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile] if args.profile else QUICK if args.quick else FULL
    only = {int(n) for n in args.only.split(",")} if args.only else None
    console = Console(width=200)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    began = time.perf_counter()
    figures = collect(profile, only, log=lambda line: console.print(line, style="dim"))
    console.print(table(figures, profile, command.strip()))
    console.print(f"total {time.perf_counter() - began:.0f} s")
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
