"""``zd-pipeline simulator``: run the simulator in the foreground until interrupted.

The parser stays light (no numpy/uvicorn import until :func:`run`). It prints the base URL and the credentials
to use: the demo ones in full (they are public), but never a secret taken from the environment.
"""

from __future__ import annotations

import argparse

from zd_pipeline.simulator.scales import SCALES, scale_help

DESCRIPTION = """\
Run the Zendesk simulator alone, in the foreground until Ctrl-C: a real HTTP server answering Zendesk's incremental
export endpoints with a generated account (same scale and seed, same account), with Zendesk's rate limit and,
on request, faults. It prints its URL and the credentials to use; point a sync at it with ZENDESK_BASE_URL."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default 8765; 0 = any free port)")
    parser.add_argument("--scale", choices=tuple(SCALES), default="demo", help=scale_help("demo"))
    parser.add_argument("--seed", type=int, default=0, help="data seed: same seed, same account (default 0)")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=10,
        help="requests per rolling minute per endpoint, as Zendesk's smallest plan (default 10; 0 = no limit)",
    )
    parser.add_argument(
        "--faults",
        default="",
        help='fault shares, e.g. "500=0.05,503=0.05,truncate=0.02,slow=0.01:2.0,burst429=0.01:3" (default: none)',
    )
    parser.add_argument(
        "--plan",
        choices=("team", "professional", "enterprise"),
        default="enterprise",
        help="the account's Zendesk plan: below enterprise, the routing exports answer 403 (default enterprise)",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")


def run(args: argparse.Namespace) -> int:
    from zd_pipeline.simulator.core import Simulator
    from zd_pipeline.simulator.faults import FaultSpec
    from zd_pipeline.simulator.server import base_url_of, bind, make_server

    if args.rate_limit < 0:
        raise SystemExit("--rate-limit must be 0 (off) or a positive number of requests per minute")
    try:
        faults = FaultSpec.parse(args.faults)
    except ValueError as exc:
        raise SystemExit(f"--faults: {exc}") from None
    sim = Simulator(scale=args.scale, seed=args.seed, rate_limit=args.rate_limit, faults=faults, plan=args.plan)
    sock = bind(args.host, args.port)
    base_url = base_url_of(sock)
    creds = sim.credentials
    print(f"Zendesk simulator ({args.scale}, seed {args.seed}) at {base_url}", flush=True)
    print(f"  export ZENDESK_BASE_URL={base_url}")
    if creds.is_demo:
        print(f"  credentials: ZENDESK_EMAIL={creds.email} ZENDESK_API_TOKEN={creds.api_token}")
        print(f"               or ZENDESK_OAUTH_TOKEN={creds.oauth_token}")
    else:
        print("  credentials: the ZENDESK_EMAIL / ZENDESK_API_TOKEN / ZENDESK_OAUTH_TOKEN already in your environment")
    limit = f"{args.rate_limit}/min per endpoint" if args.rate_limit else "off"
    print(f"  rate limit: {limit}; faults: {str(faults) or 'none'}; admin API: {base_url}/_sim/info", flush=True)
    make_server(sim, log_level=args.log_level).run(sockets=[sock])
    return 0
