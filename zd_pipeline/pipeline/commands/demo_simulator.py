"""The demo's simulator and environment, shared by ``zd-pipeline demo`` and ``zd-pipeline dev``.

One definition of the demo's data set (scale and seed), so a sync launched from the UI of ``zd-pipeline dev``
pages the same account ``make demo`` synced into the same file, instead of overwriting its rows with another
account's. The simulator's rate limit is off and so is the client's throttle (``ZENDESK_REQUESTS_PER_MINUTE=0``),
so a sync takes seconds, not the ~10 minutes Zendesk's 10 requests/minute would impose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from zd_pipeline import settings as cfg

DEMO_SCALE = "demo"
DEMO_SEED = 42
SCALES = ("small", "demo", "bench")


@contextmanager
def demo_simulator(scale: str = DEMO_SCALE, seed: int = DEMO_SEED, port: int = 0) -> Iterator[str]:
    """The simulator on loopback (``port`` 0: any free port) in a background thread; yields its base URL.

    It accepts the ``ZENDESK_*`` credentials of the environment when any is set, else the public demo ones
    (:class:`zd_pipeline.simulator.Credentials`), matching :func:`demo_environment`.
    """
    from zd_pipeline.simulator import Simulator, serve

    simulator = Simulator(scale=scale, seed=seed, rate_limit=None)
    with serve(simulator, port=port) as base_url:
        yield base_url


def demo_environment(base_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """The variables that point a sync at the demo simulator: its URL, no client throttle, and the credentials
    ``env`` holds, else the documented demo ones."""
    wired = {cfg.ENV_BASE_URL: base_url, cfg.ENV_REQUESTS_PER_MINUTE: "0"}
    if not env.get(cfg.ENV_OAUTH_TOKEN):
        wired[cfg.ENV_EMAIL] = env.get(cfg.ENV_EMAIL) or cfg.DEMO_EMAIL
        wired[cfg.ENV_API_TOKEN] = env.get(cfg.ENV_API_TOKEN) or cfg.DEMO_API_TOKEN
    return wired
