"""``zd-pipeline sync``: materialize streams through Dagster against the configured instance.

The run is a real Dagster run on the instance in ``$DAGSTER_HOME`` (default ``.dagster_home``), so the UI and
the sensor see it. Progress per stream is shown while it runs, a summary table after; the exit status is non-zero
with the failure's message when any stream failed (pages committed before the failure are kept).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import replace

from zd_pipeline.settings import ENV_DAGSTER_HOME, PROJECT_ROOT, Settings, SettingsError, check_for_sync


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", help="comma-separated stream names (default: every stream)")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore checkpoints and re-read every partition from the start date (rows are upserted, not dropped)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
        check_for_sync(settings)
        names = _stream_names(args.streams)
    except (SettingsError, KeyError) as exc:
        print(f"zd-pipeline sync: {exc.args[0]}", file=sys.stderr)
        return 2
    prepare_dagster_home(settings)
    from zd_pipeline.pipeline.commands.report import print_summary, sync_progress
    from zd_pipeline.pipeline.runs import run_sync

    with sync_progress(names):
        outcome = run_sync(os.environ, names, full_refresh=args.full_refresh)
    if outcome.run_id:
        print_summary(replace(outcome, failure=None))
    if outcome.failure:
        # On stderr, unwrapped, once: the line a user (or a script) needs when the exit status is not 0.
        print(f"zd-pipeline sync: failed: {outcome.failure}", file=sys.stderr)
    return 0 if outcome.success else 1


def _stream_names(raw: str | None) -> list[str]:
    from zd_pipeline.catalogue import STREAMS, get_stream

    if not raw:
        return list(STREAMS)
    return [get_stream(name.strip()).name for name in raw.split(",") if name.strip()]


def prepare_dagster_home(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Make ``$DAGSTER_HOME`` exist with the project's ``dagster.yaml`` (never overwriting the user's)."""
    env = os.environ if env is None else env
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", target)
    os.environ[ENV_DAGSTER_HOME] = str(home.resolve())
