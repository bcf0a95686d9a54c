"""``zd-pipeline sync``: materialize streams through Dagster against the configured instance.

The run is a real Dagster run on the instance in ``$DAGSTER_HOME`` (default ``.dagster_home``), so the UI and
the sensor see it. Progress per stream is shown while it runs, a summary table after; the exit status is non-zero
with the failure's message when any stream failed (pages committed before the failure are kept). A stream the
account's Zendesk plan does not offer is not a failure: it is named on a "Not synced" line and the status is 0.
The reference tables are refreshed after the streams, in a run of the account's reference job (``--streams`` may
name either).

With several accounts (``ZD_ACCOUNTS_FILE``), ``--account NAME`` syncs one; without it every account is synced at
the same time, each by a ``zd-pipeline sync --account NAME`` process of its own (at most ``--parallel`` at once),
so one account's failure, slowness or crash never touches another's run. Each account's output is printed when it
finishes, then one line per account; the exit status is 1 when any account failed.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from zd_pipeline import settings as cfg
from zd_pipeline.accounts import check_account, find_account, load_accounts
from zd_pipeline.settings import ENV_DAGSTER_HOME, PROJECT_ROOT, Settings, SettingsError

DEFAULT_PARALLEL = 4  # as many as dagster.yaml's max_concurrent_runs

if TYPE_CHECKING:
    import dagster as dg


DESCRIPTION = f"""\
Sync Zendesk's incremental exports into the DuckDB file you query, as one Dagster run on the instance in
${ENV_DAGSTER_HOME} (the UI and the sensor see it). Each stream resumes from its checkpoint; progress is shown
per stream, then a summary table. Exit status 0 when every stream synced, 1 when one failed (the pages committed
before the failure are kept), 2 when the configuration is wrong (nothing ran).

With no account configured ({cfg.ENV_SUBDOMAIN} and {cfg.ENV_BASE_URL} unset) it syncs the local simulator at
{cfg.SIMULATOR_URL} with its demo credentials: start that with `make simulator` first. With {cfg.ENV_ACCOUNTS_FILE}
set, it syncs every account the file lists, a process each (--parallel at once), or the one --account names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = environment_help()
    parser.add_argument(
        "--streams", help="comma-separated stream or reference table names (default: every stream and table)"
    )
    parser.add_argument("--account", help="the account to sync, by its name in ZD_ACCOUNTS_FILE (default: every one)")
    parser.add_argument(
        "--parallel",
        type=int,
        default=DEFAULT_PARALLEL,
        help=f"accounts synced at once without --account (default {DEFAULT_PARALLEL})",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore checkpoints and re-read every partition from the start date; rows are upserted, never "
        "dropped (default: off, each stream resumes from its checkpoint)",
    )


def environment_help(width: int = 116) -> str:
    """The variables a sync reads (:data:`zd_pipeline.settings.ENVIRONMENT`), one per entry, for ``--help``."""
    column = max(len(variable.name) for variable in cfg.ENVIRONMENT) + 4
    lines = ["environment variables (read when the command starts; a .env file is not read by sync):"]
    for variable in cfg.ENVIRONMENT:
        meaning = variable.meaning + (" (secret: never logged or stored)" if variable.secret else "")
        wrapped = textwrap.wrap(meaning, width - column) or [""]
        lines.append(f"  {variable.name:<{column - 2}}{wrapped[0]}")
        lines.extend(" " * column + line for line in wrapped[1:])
    return "\n".join(lines)


def simulator_notice(settings: Settings) -> str | None:
    """What a sync with no account configured says before anything else: which simulator it pages, and how to
    point it at a Zendesk account instead. ``None`` when an account is configured."""
    if settings.base_url is not None or settings.subdomain is not None:
        return None
    return (
        f"zd-pipeline sync: no Zendesk account configured, so this syncs the local simulator at {cfg.SIMULATOR_URL} "
        f"with its demo credentials (start it with `make simulator`). To sync an account, set {cfg.ENV_SUBDOMAIN} "
        f"(or {cfg.ENV_BASE_URL}) with {cfg.ENV_EMAIL} and {cfg.ENV_API_TOKEN} (or {cfg.ENV_OAUTH_TOKEN}); "
        "`zd-pipeline sync --help` lists every variable."
    )


def run(args: argparse.Namespace) -> int:
    try:
        accounts = load_accounts()
        if args.account is not None:
            accounts = [find_account(accounts, args.account)]
        names, lists = _stream_names(args.streams)
        if len(accounts) == 1:
            check_account(accounts[0])
        elif args.parallel < 1:
            raise SettingsError(f"--parallel must be 1 or more, got {args.parallel}")
    except (SettingsError, KeyError) as exc:
        print(f"zd-pipeline sync: {exc.args[0]}", file=sys.stderr)
        return 2
    settings = accounts[0].settings()
    notice = simulator_notice(settings) if len(accounts) == 1 and not accounts[0].from_file else None
    if notice is not None:
        print(notice, file=sys.stderr, flush=True)
    prepare_dagster_home(settings)
    instance = open_instance(settings.dagster_home)
    if len(accounts) > 1:
        from zd_pipeline.pipeline.commands.each_account import sync_each

        return sync_each([a.name for a in accounts], args)
    from zd_pipeline.pipeline.commands.report import print_not_offered, print_summary, sync_progress
    from zd_pipeline.pipeline.runs import merged, run_reference, run_sync

    account = accounts[0].name
    with sync_progress(names):
        synced = (
            run_sync(os.environ, names, full_refresh=args.full_refresh, instance=instance, account_name=account)
            if names
            else None
        )
        refreshed = (
            run_reference(os.environ, lists, full_refresh=args.full_refresh, instance=instance, account_name=account)
            if lists
            else None
        )
    outcome = merged(synced, refreshed)
    if outcome.run_id:
        print_summary(replace(outcome, failure=None))
    print_not_offered(outcome)
    if outcome.failure:
        # On stderr, unwrapped, once: the line a user (or a script) needs when the exit status is not 0.
        print(f"zd-pipeline sync: failed: {outcome.failure}", file=sys.stderr)
    return 0 if outcome.success else 1


def open_instance(home: Path) -> dg.DagsterInstance:
    """The instance in ``home``, its storage created under a lock: two commands started at once on a new
    ``$DAGSTER_HOME`` would otherwise both create the SQLite tables and one would crash ("table runs already
    exists"). Its storages keep their connections for the command's life (:mod:`..held_connections`)."""
    import dagster as dg

    from zd_pipeline.pipeline.held_connections import hold_connections

    with (home / ".zd-pipeline-init.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            instance = dg.DagsterInstance.get()
            instance.get_runs(limit=1)  # run storage created and migrated
            instance.get_latest_materialization_event(dg.AssetKey("zd-pipeline-init"))  # event log created
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    hold_connections(instance)
    return instance


@contextmanager
def instance_in(home: Path) -> Iterator[dg.DagsterInstance]:
    """The Dagster instance in ``home``, whatever ``$DAGSTER_HOME`` is: the project's ``dagster.yaml`` names its
    folder through that variable (its storage blocks), so it points at ``home`` while the instance loads, then
    goes back. For tools and tests that read several instances; not thread-safe."""
    import dagster as dg

    previous = os.environ.get(ENV_DAGSTER_HOME)
    os.environ[ENV_DAGSTER_HOME] = str(home)
    try:
        instance = dg.DagsterInstance.from_config(str(home))
    finally:
        if previous is None:
            del os.environ[ENV_DAGSTER_HOME]
        else:
            os.environ[ENV_DAGSTER_HOME] = previous
    with instance:
        yield instance


def _stream_names(raw: str | None) -> tuple[list[str], list[str]]:
    """The export streams and the reference lists named (default: all of both); ``KeyError`` for a bad name."""
    from zd_pipeline.catalogue import LISTS, STREAMS

    if not raw:
        return list(STREAMS), list(LISTS)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in LISTS and name not in STREAMS:
            raise KeyError(
                f"unknown stream {name!r}; streams: {', '.join(STREAMS)}; reference tables: {', '.join(LISTS)}"
            )
    return [n for n in names if n not in LISTS], [n for n in names if n in LISTS]


def prepare_dagster_home(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Make ``$DAGSTER_HOME`` exist with the project's ``dagster.yaml`` (never overwriting the user's)."""
    env = os.environ if env is None else env
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():  # copied whole, then renamed: a command started at the same time never reads half
        partial = home / f".dagster.yaml.{os.getpid()}"
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", partial)
        os.replace(partial, target)
    os.environ[ENV_DAGSTER_HOME] = str(home.resolve())
