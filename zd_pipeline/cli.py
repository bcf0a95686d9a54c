"""The ``zd-pipeline`` console script. Each command lives in its own module, imported lazily so
``zd-pipeline simulator`` does not pay for importing Dagster; a module exposes ``add_arguments(parser)`` and
``run(args) -> int``."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import NoReturn

DESCRIPTION = """\
Keep an analytics-ready DuckDB replica of a Zendesk Support account current: incremental exports paged within
Zendesk's rate limits, upserted into one DuckDB file you query with SQL, driven by Dagster (runs, sensor, schedule
and UI). A Zendesk simulator (a real HTTP server) ships with it for the demo and the tests."""

EPILOG = """\
Start with `make demo` (the simulator, a full sync and what landed), then `make dev` for the Dagster UI.
To sync a real account, set ZENDESK_SUBDOMAIN with ZENDESK_EMAIL and ZENDESK_API_TOKEN (`zd-pipeline sync --help`
lists every variable). `zd-pipeline COMMAND --help` describes each command."""

# name: (module, one-line summary shown in `zd-pipeline --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "sync": ("zd_pipeline.pipeline.commands.sync", "sync streams into the DuckDB file, as a Dagster run"),
    "demo": (
        "zd_pipeline.pipeline.commands.demo",
        "start the simulator, sync every stream, build the analytics and show what landed (`make demo`)",
    ),
    "dev": ("zd_pipeline.pipeline.commands.dev", "the Dagster UI on the demo's simulator or the configured account"),
    "simulator": ("zd_pipeline.simulator.cli", "run the Zendesk simulator alone (a real HTTP server)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zd-pipeline",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, summary) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(
            name,
            help=summary,
            description=getattr(module, "DESCRIPTION", summary[0].upper() + summary[1:] + "."),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command_parser.set_defaults(_module=module_name)
        module.add_arguments(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(importlib.import_module(args._module).run(args) or 0)


def console() -> NoReturn:
    """The console script: :func:`main`, then exit with the collector frozen.

    Why: at exit the interpreter's collector walks every object the command made (Dagster's modules, definitions
    and instance), a measurable share of a short sync. Frozen objects are still freed by their reference counts
    during teardown; only cycles among them are left to the end of the process, whose finalizers Python does not
    promise to run at exit anyway. Everything a command writes is closed or flushed before it returns.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
