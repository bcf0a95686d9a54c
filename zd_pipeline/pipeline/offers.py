"""Streams the account's Zendesk plan does not offer (``Stream.plan_feature``), as the instance records them.

When a plan-gated export answers 403 (:class:`~zd_pipeline.client.FeatureNotOfferedError`), the sync records an
``AssetObservation`` on the stream's asset with ``offered_by_plan: False`` instead of a materialization (nothing
was read, so nothing is faked) and the run succeeds. The observation is what the UI shows on the asset, and what
the sensor, the CLI and the checks read: a stream observed "not offered" after its latest materialization is left
out of syncs until :data:`RECHECK_SECONDS` have passed, then tried again, so an upgraded plan is picked up within
a day without a config change (one request per export to find out).
"""

from __future__ import annotations

import dagster as dg

from zd_pipeline.catalogue import Stream, to_iso
from zd_pipeline.client import FeatureNotOfferedError

OFFERED_BY_PLAN = "offered_by_plan"
RECHECK_SECONDS = 86_400


def not_offered_observation(key: dg.AssetKey, stream: Stream, error: FeatureNotOfferedError, now: float):
    """The observation recorded for a stream whose export the plan does not offer (no credentials in it: the
    client's messages carry none)."""
    return dg.AssetObservation(
        asset_key=key,
        description=f"Not offered by this account's Zendesk plan: {stream.name} needs {error.feature}.",
        metadata={
            OFFERED_BY_PLAN: False,
            "plan_feature": error.feature,
            "zendesk_said": str(error),
            "checked_at": dg.MetadataValue.timestamp(now),
            "recheck_after": dg.MetadataValue.timestamp(now + RECHECK_SECONDS),
        },
    )


def not_offered_since(instance: dg.DagsterInstance, key: dg.AssetKey) -> float | None:
    """When the plan was last found not to offer ``key``'s export, unless it materialized since (an upgrade);
    ``None`` when the stream is offered as far as the instance knows."""
    result = instance.fetch_observations(dg.AssetRecordsFilter(asset_key=key), limit=1)
    if not result.records:
        return None
    record = result.records[0]
    observation = record.asset_observation
    value = None if observation is None else observation.metadata.get(OFFERED_BY_PLAN)
    if value is None or value.value is not False:
        return None
    latest = instance.get_latest_materialization_event(key)
    if latest is not None and latest.timestamp >= record.timestamp:
        return None
    return record.timestamp


def recheck_due(since: float | None, now: float) -> bool:
    """Whether a stream found not offered at ``since`` (or offered: ``None``) should be synced now."""
    return since is None or now - since >= RECHECK_SECONDS


def waiting_reason(since: float) -> str:
    """Why a stream was left out of a sync: when it was found not offered and when it is checked again."""
    return (
        f"not offered by this account's Zendesk plan (found {to_iso(int(since))}; checked again after "
        f"{to_iso(int(since + RECHECK_SECONDS))})"
    )
