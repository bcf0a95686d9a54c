"""Figure 11 (and the sandbox figure 12 shares): several accounts in one deployment (``ZD_ACCOUNTS_FILE``), synced
by one ``zd-pipeline sync``.

Each account is a simulator process of its own (its own seed: a different account, its own request log and rate
limit), and the accounts file names them all; a sandbox holds a fresh ``DAGSTER_HOME`` and the accounts' DuckDB
files.

* Figure 11 (limit lifted, a report): the wall time of ``zd-pipeline sync`` of four demo-scale accounts at once over
  that of ``zd-pipeline sync --account`` of one of them alone, measured alone, four, four, alone (ABBA). 1.0 would
  mean four accounts cost nothing more than one; the accounts share the machine's cores, so on a machine with fewer
  cores than accounts the ratio says how much of the work overlaps.
* Figure 12 (rate-limited, ``bench.figures.accounts_limited``): two accounts, each against its own bound.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.common import ALL_STREAMS, PROJECT_ROOT, ZD_PIPELINE, Figure, demo_env, simulator_process
from bench.figures import Profile, start_date

FOUR = 4


class AccountsSandbox:
    """A fresh ``DAGSTER_HOME`` and an accounts file naming ``urls`` (one account per simulator), with the
    simulators' demo credentials in the variables the file names."""

    def __init__(self, urls: dict[str, str], *, requests_per_minute: int = 0, since: str | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zd-bench-accounts-"))
        home = self.folder / "dagster_home"
        home.mkdir()
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        lines = ["accounts:"]
        for name, url in urls.items():
            lines += [
                f"  - name: {name}",
                f"    base_url: {url}",
                "    email_env: ZENDESK_EMAIL",
                "    api_token_env: ZENDESK_API_TOKEN",
                f"    requests_per_minute: {requests_per_minute}",
                f"    duckdb_path: {name}.duckdb",
            ]
            lines += [f"    start_date: {since}"] if since else []
        accounts = self.folder / "accounts.yaml"
        accounts.write_text("\n".join(lines) + "\n")
        self.env = demo_env() | {"ZD_ACCOUNTS_FILE": str(accounts), "DAGSTER_HOME": str(home)}

    def __enter__(self) -> AccountsSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def sync(self, *arguments: str) -> tuple[float, str]:
        """``zd-pipeline sync [arguments]`` to its end: (wall seconds, its output); raises if it fails."""
        began = time.perf_counter()
        done = subprocess.run(
            [ZD_PIPELINE, "sync", *arguments],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=7200,
        )
        seconds = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"zd-pipeline sync {' '.join(arguments)} failed:\n{done.stdout[-3000:]}")
        return seconds, done.stdout


@contextmanager
def simulators(count: int, scale: str, rate_limit: int = 0) -> Iterator[dict[str, str]]:
    """``count`` simulator processes (seeds 0, 1, ...) as accounts ``a0``, ``a1``, ...: their base URLs."""
    with ExitStack() as stack:
        urls = {
            f"a{i}": stack.enter_context(simulator_process(scale, rate_limit=rate_limit, seed=i)) for i in range(count)
        }
        yield urls


def measure(profile: Profile) -> list[Figure]:
    return [_four_at_once(profile)]


def _four_at_once(profile: Profile) -> Figure:
    since = start_date(profile.e2e_days)
    alone: list[float] = []
    together: list[float] = []
    with simulators(FOUR, profile.e2e_scale) as urls:
        for step in ("alone", "four", "four", "alone"):
            with AccountsSandbox(urls, since=since) as box:
                if step == "alone":
                    alone.append(box.sync("--account", "a0", "--streams", ",".join(ALL_STREAMS))[0])
                else:
                    together.append(box.sync("--streams", ",".join(ALL_STREAMS))[0])
    one, four = sum(alone) / len(alone), sum(together) / len(together)
    ratio = four / one
    scope = f"{profile.e2e_scale} scale" + (f", last {profile.e2e_days} days" if profile.e2e_days else "")
    note = (
        f"{scope}, every stream, limit off, four simulator processes (seeds 0-3); alone-four-four-alone: one account "
        f"{' and '.join(f'{s:.1f}' for s in alone)} s, four accounts {' and '.join(f'{s:.1f}' for s in together)} s "
        f"(a process per account, {FOUR} at once)"
    )
    return Figure(
        11,
        "four accounts synced at once vs one alone (limit off)",
        f"{ratio:.2f} × one account's wall time ({four:.1f} s vs {one:.1f} s)",
        "report",
        None,
        note,
        {"ratio": ratio, "alone": alone, "four": together},
    )
