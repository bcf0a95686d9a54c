"""Keep a command's Dagster storage connections open instead of opening one per storage call.

Dagster's PostgreSQL storages open a new connection for every call unless told otherwise; the webserver tells
them, through ``DagsterInstance.optimize_for_webserver``, and a sync process benefits the same way. Before a first
sync pages anything, Dagster stores one "planned" event per stream and day of its range, one call each: for a
3-year history (8 streams × 1,096 days) that was ~130 s of connection set-up (authentication, a server backend per
connection) before the first request, all of it added to a rate-limited sync's time (``bench/`` figure 10). With
connections held it is a few seconds. SQLite storages ignore the call.

``optimize_for_webserver`` is a method of Dagster's public ``DagsterInstance`` but not in its API reference, so it
is used only when present: on a Dagster release without it, a sync is slower, never broken.
"""

from __future__ import annotations

import logging

import dagster as dg

_log = logging.getLogger(__name__)

POOL_RECYCLE_SECONDS = 3600  # as the webserver: a connection is replaced after an hour
POOL_MAX_OVERFLOW = 4  # one connection per storage, a few more for a command's helper threads
NO_STATEMENT_TIMEOUT = 0  # as without pooling: a sync's long bookkeeping statements are not cut off


def hold_connections(instance: dg.DagsterInstance) -> bool:
    """Make ``instance``'s storages keep their database connections for this process; True when they do."""
    hold = getattr(instance, "optimize_for_webserver", None)
    if hold is None:
        _log.info("this Dagster release cannot hold storage connections open; each storage call connects anew")
        return False
    hold(statement_timeout=NO_STATEMENT_TIMEOUT, pool_recycle=POOL_RECYCLE_SECONDS, max_overflow=POOL_MAX_OVERFLOW)
    return True
