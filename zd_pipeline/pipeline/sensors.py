"""The sync sensor: keeps every stream of an account current, one run at a time.

Each tick reads every stream's high-water mark from its last *successful* materialization on the instance (so
a failed run can never make the sensor skip data) and requests one run for the streams that are due:

- a stream is due when its high-water mark moved since the sensor last requested it, or when ``interval``
  seconds passed since then (polling is the only way to learn that Zendesk changed);
- nothing is requested while a sync run of the account is queued or in progress;
- the run covers the daily partitions from the oldest due resume point's day up to today and carries each
  stream's resume point in run config, so every stream re-reads only from where it was; a stream never synced
  starts at the first partition. The resume point is the stream's high-water mark, but no earlier than one day
  before the export bound its last successful sync paged up to (``window_end``): a quiet stream (routing data
  changes rarely) would otherwise drag every run's range back to its weeks-old mark, and Dagster records two
  events per asset and partition of a run's range (~30 ms each on SQLite). The day of margin re-reads anything
  a clock disagreement between Zendesk and this machine could have hidden; the daily schedule re-reads
  yesterday whole. The ``run_key`` (account, high-water marks, time bucket)
  stops the daemon from launching the same request twice.

A stream the account's Zendesk plan does not offer (observed so by its last run, :mod:`.offers`) is not requested
again until its daily re-check is due; the re-check of a stream never materialized starts at the first partition,
so an upgraded plan's routing data arrives whole.

Cursor (JSON): ``{"hwm": {stream: high-water mark}, "requested_at": {stream: epoch}}``.
"""

# No `from __future__ import annotations` here: Dagster reads the decorated functions' annotations (config,
# context) at decoration time and cannot resolve string annotations.

import hashlib
import json
from collections.abc import Iterable

import dagster as dg

from zd_pipeline.catalogue import Stream
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.pipeline.assets import SyncConfig, raw_asset_key, sync_op_name
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG
from zd_pipeline.pipeline.liveness import live_runs
from zd_pipeline.pipeline.metadata import HIGH_WATER_MARK_EPOCH, latest_paged_to, latest_value
from zd_pipeline.pipeline.offers import not_offered_since, recheck_due
from zd_pipeline.pipeline.partitions import partition_key_of

RESYNC_MARGIN_SECONDS = 86_400


def latest_high_water_mark(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    value = latest_value(instance, key, HIGH_WATER_MARK_EPOCH)
    return None if value is None else int(value)


def account_run_in_flight(instance: dg.DagsterInstance, account: str) -> bool:
    """A run of the account is queued or in progress (a killed CLI sync's ghost run is marked failed first)."""
    return bool(live_runs(instance, account))


def build_sync_sensor(
    job,  # jobs.build_sync_job's (its class has no public name)
    account: str,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    streams: Iterable[Stream],
    interval_seconds: int,
    clock: Clock | None = None,
) -> dg.SensorDefinition:
    """``clock`` (injectable for tests) decides what is due; the instance's event times are wall-clock."""
    streams = list(streams)
    clock = clock or SystemClock()

    @dg.sensor(
        name=f"{account}_sync_sensor",
        description=f"Keeps every Zendesk stream of '{account}' current from its high-water mark.",
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        target=job,
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        if account_run_in_flight(context.instance, account):
            return dg.SkipReason(f"a sync run of '{account}' is queued or in progress")
        cursor = _parse(context.cursor)
        now = clock.now()
        offered = [s for s in streams if _offered_or_recheck_due(context.instance, account, s, now)]
        marks = {s.name: latest_high_water_mark(context.instance, raw_asset_key(account, s)) for s in offered}
        due = [s for s in offered if _is_due(cursor, s.name, marks[s.name], now, interval_seconds)]
        if not due:
            waiting = sorted(s.name for s in streams if s not in offered)
            note = f" ({', '.join(waiting)}: not offered by this account's plan, re-checked daily)" if waiting else ""
            return dg.SkipReason(f"every stream is current{note}")
        starts = {s.name: _resume_start(context.instance, raw_asset_key(account, s), marks[s.name]) for s in due}
        request = _run_request(account, partitions_def, due, marks, starts, now, interval_seconds)
        for s in due:
            cursor["hwm"][s.name] = marks[s.name]
            cursor["requested_at"][s.name] = int(now)
        return dg.SensorResult(run_requests=[request], cursor=json.dumps(cursor, sort_keys=True))

    return _sensor


def _offered_or_recheck_due(instance: dg.DagsterInstance, account: str, stream: Stream, now: float) -> bool:
    if stream.plan_feature is None:
        return True
    return recheck_due(not_offered_since(instance, raw_asset_key(account, stream)), now)


def _parse(raw: str | None) -> dict[str, dict]:
    cursor = json.loads(raw) if raw else {}
    return {"hwm": dict(cursor.get("hwm", {})), "requested_at": dict(cursor.get("requested_at", {}))}


def _is_due(cursor: dict[str, dict], name: str, hwm: int | None, now: float, interval: int) -> bool:
    if name not in cursor["requested_at"] or cursor["hwm"].get(name) != hwm:
        return True
    return now - cursor["requested_at"][name] >= interval


def _resume_start(instance: dg.DagsterInstance, key: dg.AssetKey, hwm: int | None) -> int | None:
    """Where a due stream re-reads from: its high-water mark, but no earlier than a day before the bound its last
    successful sync paged up to (everything before that was read then; the day covers clocks that disagree)."""
    if hwm is None:
        return None
    paged_to = latest_paged_to(instance, key)
    return hwm if paged_to is None else max(hwm, paged_to - RESYNC_MARGIN_SECONDS)


def _run_request(
    account: str,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    due: list[Stream],
    marks: dict[str, int | None],
    starts: dict[str, int | None],
    now: float,
    interval: int,
) -> dg.RunRequest:
    known = [starts[s.name] for s in due if starts[s.name] is not None]
    first = partitions_def.get_first_partition_key()
    start_key = first if len(known) < len(due) else max(first, partition_key_of(min(known)))
    end_key = partitions_def.get_last_partition_key()
    resume = {s.name: starts[s.name] for s in due if starts[s.name] is not None}
    fingerprint = hashlib.sha1(json.dumps([sorted(s.name for s in due), resume], sort_keys=True).encode())
    return dg.RunRequest(
        run_key=f"{account}:{fingerprint.hexdigest()[:12]}:{int(now) // interval}",
        asset_selection=[raw_asset_key(account, s) for s in due],
        run_config=dg.RunConfig(ops={sync_op_name(account): SyncConfig(resume_start_times=resume)}),
        tags={
            ACCOUNT_TAG: account,
            "dagster/asset_partition_range_start": start_key,
            "dagster/asset_partition_range_end": end_key,
        },
    )
