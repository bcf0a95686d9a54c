"""``zd-pipeline dev``: the Dagster UI (``dagster dev``) on the demo's data, or on the configured account.

What ``make dev`` runs. With no account configured (neither ``ZENDESK_SUBDOMAIN`` nor ``ZENDESK_BASE_URL``, in
the environment or in ``.env``), it starts the simulator on the demo's scale and seed in this process and hands
its URL, the documented demo credentials (or the ``ZENDESK_*`` ones set) and ``ZENDESK_REQUESTS_PER_MINUTE=0`` to
``dagster dev``, so the sensor, the schedule and syncs launched from the UI page the data set ``make demo``
synced, into the same file. With an account configured it starts no simulator, says which account it targets,
or names the variable that is missing and exits with status 2.

The instance lives in ``$DAGSTER_HOME`` (default ``.dagster_home``, the project's ``dagster.yaml`` copied there
once), so the UI shows the demo's runs and keeps its history. ``dagster dev`` runs in its own process group under
:mod:`.process_group`: Ctrl-C, SIGTERM or SIGHUP to this command stops every process it started.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from zd_pipeline import settings as cfg
from zd_pipeline.pipeline.commands.demo_simulator import DEMO_SCALE, DEMO_SEED

DESCRIPTION = """\
What `make dev` runs: the Dagster UI (dagster dev: webserver, daemon, sensor and schedule). With no account
configured (ZENDESK_SUBDOMAIN and ZENDESK_BASE_URL unset, in the environment or in .env) it also starts the
simulator with the demo's data set, so syncs from the UI update the demo's file. One Ctrl-C stops everything."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface the Dagster UI binds (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port of the Dagster UI (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--simulator-port",
        type=int,
        default=0,
        help="port of the demo simulator when no account is configured (default 0: any free port; the URL is printed)",
    )


def run(args: argparse.Namespace) -> int:
    os.environ.update(dotenv_of(Path.cwd()))  # what `dagster dev` itself will load, so both see one account
    if os.environ.get(cfg.ENV_ACCOUNTS_FILE, "").strip():
        return _dagster_dev_on_accounts_file(args)
    try:
        settings = cfg.Settings.from_env()
        located = settings.base_url is not None or settings.subdomain is not None
        if located:
            cfg.check_for_sync(settings)
    except cfg.SettingsError as exc:
        print(f"zd-pipeline dev: {exc}", file=sys.stderr)
        return 2
    from zd_pipeline.pipeline.commands.sync import prepare_dagster_home

    prepare_dagster_home(settings)
    if located:
        print(f"zd-pipeline dev: {describe_account(settings)}; no simulator started.", flush=True)
        return _dagster_dev(args)
    return _dagster_dev_on_demo_simulator(args)


def _dagster_dev_on_accounts_file(args: argparse.Namespace) -> int:
    """Several accounts (``ZD_ACCOUNTS_FILE``): the UI on them as configured, no simulator; the file is read again
    whenever the code location reloads."""
    from zd_pipeline.accounts import load_accounts
    from zd_pipeline.pipeline.commands.sync import prepare_dagster_home

    try:
        accounts = load_accounts()
    except cfg.SettingsError as exc:
        print(f"zd-pipeline dev: {exc}", file=sys.stderr)
        return 2
    prepare_dagster_home(accounts[0].settings())
    names = ", ".join(account.name for account in accounts)
    print(f"zd-pipeline dev: {len(accounts)} accounts from {cfg.ENV_ACCOUNTS_FILE} ({names}); no simulator started.")
    return _dagster_dev(args)


def _dagster_dev_on_demo_simulator(args: argparse.Namespace) -> int:
    from zd_pipeline.pipeline.commands.demo_simulator import demo_environment, demo_simulator

    with demo_simulator(port=args.simulator_port) as base_url:
        os.environ.update(demo_environment(base_url, os.environ))
        try:
            cfg.check_for_sync(cfg.Settings.from_env())
        except cfg.SettingsError as exc:
            print(f"zd-pipeline dev: {exc}", file=sys.stderr)
            return 2
        print(
            f"zd-pipeline dev: no Zendesk account configured ({cfg.ENV_SUBDOMAIN} or {cfg.ENV_BASE_URL}), so "
            f"the demo's simulator ({DEMO_SCALE} scale, seed {DEMO_SEED}) serves it at {base_url}; syncs write "
            f"{cfg.Settings.from_env().duckdb_path}.",
            flush=True,
        )
        return _dagster_dev(args)


def _dagster_dev(args: argparse.Namespace) -> int:
    from zd_pipeline.pipeline.commands.process_group import run_in_process_group

    workspace = cfg.PROJECT_ROOT / "workspace.yaml"
    argv = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-h", args.host, "-p", str(args.port)]
    started = datetime.now(UTC)
    print(
        f"zd-pipeline dev: Dagster UI at http://{args.host}:{args.port} (instance {os.environ[cfg.ENV_DAGSTER_HOME]}); "
        "Ctrl-C stops everything.",
        flush=True,
    )
    code = run_in_process_group(argv, os.environ, Path.cwd())
    try:
        fail_runs_left_in_progress(started)
    except Exception as exc:  # e.g. an instance dagster dev could not load either: its own error was shown
        print(f"zd-pipeline dev: could not check the instance for interrupted runs: {exc}", file=sys.stderr)
    return code


def fail_runs_left_in_progress(since: datetime) -> None:
    """Mark failed the runs Dagster started since ``since`` that are still recorded as running now that every
    process of the session is gone (a run worker killed before it could record its end): left "STARTED", such a
    run would keep the sensor from ever requesting another sync of its account. Queued runs stay queued (the next
    session's daemon launches them); runs of ``zd-pipeline sync`` (tagged with their process) are left to
    :mod:`zd_pipeline.pipeline.liveness`."""
    import dagster as dg

    from zd_pipeline.pipeline.liveness import PID_TAG

    status = dg.DagsterRunStatus
    running = [status.NOT_STARTED, status.STARTING, status.STARTED, status.CANCELING]  # a worker must be alive
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs(filters=dg.RunsFilter(statuses=running, created_after=since)):
            if PID_TAG not in run.tags:
                instance.report_run_failed(
                    run, message="zd-pipeline dev stopped while this run was in progress; committed pages are kept"
                )


def describe_account(settings: cfg.Settings) -> str:
    """Which account syncs will page and how they authenticate (the email, never a secret)."""
    if settings.base_url is not None:
        where = f"{settings.base_url} ({cfg.ENV_BASE_URL})"
    else:
        where = f"https://{settings.subdomain}.zendesk.com ({cfg.ENV_SUBDOMAIN})"
    auth = "an OAuth token" if settings.oauth_token else f"the API token of {settings.email}"
    rate = settings.requests_per_minute
    limit = f"{rate} requests/minute per endpoint" if rate else "no client-side throttle"
    return f"the Zendesk account at {where}, with {auth}, {limit}"


def dotenv_of(folder: Path) -> dict[str, str]:
    """The variables of ``folder/.env`` (``dagster dev`` loads the same file and lets it win over the
    environment)."""
    path = folder / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {name: value for name, value in dotenv_values(path).items() if value is not None}
