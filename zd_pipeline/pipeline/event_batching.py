"""Dagster's own event batching, on by default for this project: what keeps a long first sync's bookkeeping cheap.

A run over a range of daily partitions stores one event per asset and partition (planned, then materialized), and
Dagster's storages write each event in its own transaction unless ``DAGSTER_EVENT_BATCH_SIZE`` (an environment
variable Dagster's core reads when it stores a step's events; 0, its default, turns batching off) is above 0: then a
step's events reach the storage's ``store_event_batch`` in batches of up to that many. :func:`default_event_batching`
sets it to :data:`DEFAULT_BATCH_SIZE` unless the environment already has a value, which is kept (``0`` turns it off
again). It runs when :mod:`zd_pipeline.definitions` is imported, so every process that executes steps has it: the
code server and the run workers it launches, ``dagster`` CLI commands that load the code, and ``zd-pipeline sync``.
Measured cost per storage: ``bench/`` figure 10.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 1000


def default_event_batching(env: MutableMapping[str, str] | None = None) -> None:
    """Set ``DAGSTER_EVENT_BATCH_SIZE`` in ``env`` (default ``os.environ``) unless it is set already."""
    env = os.environ if env is None else env
    if not env.get(BATCH_SIZE_VARIABLE, "").strip():
        env[BATCH_SIZE_VARIABLE] = str(DEFAULT_BATCH_SIZE)
