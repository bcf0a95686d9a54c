"""Launch a sync as a real Dagster run on the configured instance and read back what it did.

Used by ``zd-pipeline sync`` / ``demo`` and the benchmarks. The run executes in this process (so streams page
concurrently in threads and one writer holds the DuckDB file), but it is recorded on ``DagsterInstance.get()``:
the UI, the sensor and the asset checks see it like any other run.

An in-process run does not pass through the instance's run queue, so ``dagster.yaml``'s one-sync-per-account
limit cannot hold it back. :func:`run_sync` therefore looks first: a sync of the same account still in progress
makes it fail at once with a message naming that run (two syncs started at the very same instant may both pass
this look; the second then waits for the warehouse's writer lock, and nothing is lost). Every run
started here is tagged with its process id and host, so a run whose process was killed (SIGKILL, power loss)
is recognised by the next sync on that host, marked failed with a message saying so, and no longer blocks the
sensor, which requests nothing while a run of the account looks in progress.

A sync after a successful one is incremental (:func:`incremental_resume`): when every selected stream has a
materialization and a stored checkpoint, each stream resumes from the checkpoint of its newest window (where its
last run stopped: everything before it is applied) and the run covers only the daily partitions from the oldest
such start time's day to today. Dagster records two events per asset and partition in a run's range (planned,
materialized), so a sync that fetched a few hundred records would otherwise pay for every day since the start
date (:mod:`.event_batching`, ``bench/`` figure 10). ``full_refresh``, or a stream never synced:
every partition from the start date.

Streams the account's plan does not offer (:mod:`.offers`) are left out of the run until their daily re-check is
due; the outcome names them either way. A re-check of a stream never materialized runs from the start date, so an
upgraded plan's routing data arrives whole, while the other streams still resume where they stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from zd_pipeline.accounts import Account, find_account, load_accounts
from zd_pipeline.catalogue import get_stream
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.definitions import build_account_definitions
from zd_pipeline.pipeline.assets import SyncConfig, raw_asset_key, sync_op_name
from zd_pipeline.pipeline.jobs import ACCOUNT_TAG, ANALYTICS_JOB, sync_job_name
from zd_pipeline.pipeline.liveness import live_runs, owner, process_tags
from zd_pipeline.pipeline.offers import OFFERED_BY_PLAN, not_offered_since, recheck_due, waiting_reason
from zd_pipeline.pipeline.partitions import partition_key_of
from zd_pipeline.settings import SettingsError
from zd_pipeline.warehouse import Warehouse, WarehouseError

QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class SyncOutcome:
    """What a sync run did: per stream its materialization metadata (plain values), and the failure if any."""

    success: bool
    run_id: str
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    failure: str | None = None
    checks: list[tuple[str, str, bool, str]] = field(default_factory=list)
    not_offered: dict[str, str] = field(default_factory=dict)  # stream -> why (the account's plan lacks it)


def run_sync(
    env: Mapping[str, str],
    stream_names: Sequence[str],
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
    resource_config: Mapping[str, Mapping[str, Any]] | None = None,
    account_name: str | None = None,
    clock: Clock | None = None,
) -> SyncOutcome:
    """Materialize ``stream_names`` in one run: every partition from the start date to today, or for a sync after a
    successful one the days from where the streams stopped (see the module docstring).

    ``resource_config`` overrides resource fields for this run, e.g. ``{"zendesk": {"per_page": 100}}``; the
    other fields keep their bindings (secrets stay ``EnvVar``s, so nothing secret is stored). When another sync
    of the account is in progress, nothing runs and the outcome's ``failure`` names that run. ``account_name``
    picks one of several configured accounts (``ZD_ACCOUNTS_FILE``); with one account it may be left out.
    ``clock`` decides which not-offered streams are due for their re-check (injectable for tests).
    """
    chosen = choose_account(env, account_name)
    defs = _with_resources(build_account_definitions(chosen, env), chosen, resource_config or {})
    account = chosen.name
    instance = instance or dg.DagsterInstance.get()
    busy = claim_account(instance, account)
    if busy is not None:
        return SyncOutcome(success=False, run_id="", failure=busy)
    job = defs.resolve_job_def(sync_job_name(account))
    partitions_def = job.partitions_def
    waiting, probes = _not_offered(instance, account, stream_names, (clock or SystemClock()).now())
    stream_names = [name for name in stream_names if name not in waiting]
    if not stream_names:
        return SyncOutcome(
            success=True, run_id="", not_offered={name: waiting_reason(since) for name, since in waiting.items()}
        )
    keys = [raw_asset_key(account, get_stream(name)) for name in stream_names]
    first_key = partitions_def.get_first_partition_key()
    sync_config, start_key = SyncConfig(full_refresh=full_refresh), first_key
    if not full_refresh:
        warehouse = Warehouse(chosen.duckdb_path, memory_limit=chosen.duckdb_memory_limit)
        resumed = [name for name in stream_names if name not in probes]
        resume = incremental_resume(instance, warehouse, account, resumed) if resumed else None
        if resume is not None and probes:
            sync_config = resume[0]  # the re-checked streams need every partition, the others resume
        elif resume is not None:
            sync_config, oldest = resume
            start_key = (
                max(first_key, partition_key_of(oldest))
                if oldest is not None
                else partitions_def.get_last_partition_key()
            )
    run_config: dict[str, Any] = {**QUIET_LOGGERS, "ops": {sync_op_name(account): {"config": sync_config.model_dump()}}}
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance,
        asset_selection=keys,
        raise_on_error=False,
        tags={
            ACCOUNT_TAG: account,
            **process_tags(),
            "dagster/asset_partition_range_start": start_key,
            "dagster/asset_partition_range_end": partitions_def.get_last_partition_key(),
        },
    )
    outcome = _outcome(result)
    outcome.not_offered.update({name: waiting_reason(since) for name, since in waiting.items()})
    return outcome


def _not_offered(
    instance: dg.DagsterInstance, account: str, stream_names: Sequence[str], now: float
) -> tuple[dict[str, float], set[str]]:
    """Streams found not offered whose re-check is not due (``{name: when found}``), and those whose re-check is
    due but which never materialized (they are read from the start date if the plan offers them now)."""
    waiting: dict[str, float] = {}
    probes: set[str] = set()
    for name in stream_names:
        key = raw_asset_key(account, get_stream(name))
        since = not_offered_since(instance, key)
        if since is None:
            continue
        if not recheck_due(since, now):
            waiting[name] = since
        elif instance.get_latest_materialization_event(key) is None:
            probes.add(name)
    return waiting, probes


def choose_account(env: Mapping[str, str], name: str | None) -> Account:
    """The account called ``name``, or the only one configured; ``SettingsError`` names the choices otherwise."""
    accounts = load_accounts(env)
    if name is not None:
        return find_account(accounts, name)
    if len(accounts) > 1:
        names = ", ".join(a.name for a in accounts)
        raise SettingsError(f"{len(accounts)} accounts are configured: name the one to sync ({names})")
    return accounts[0]


def _with_resources(
    defs: dg.Definitions, account: Account, overrides: Mapping[str, Mapping[str, Any]]
) -> dg.Definitions:
    """``defs`` with some resource fields replaced (``overrides`` keyed by role, ``zendesk`` or ``warehouse``). Not
    through run config: a resource given run config loses the ``EnvVar`` bindings of the fields it does not repeat
    (the credentials)."""
    if not overrides:
        return defs
    resources = dict(defs.resources or {})
    for role, fields in overrides.items():
        key = account.scoped(role)
        old = resources[key]
        current = {name: getattr(old, name) for name in type(old).model_fields}
        resources[key] = type(old)(**{**current, **fields})
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        sensors=defs.sensors,
        schedules=defs.schedules,
        resources=resources,
    )


def incremental_resume(
    instance: dg.DagsterInstance, warehouse: Warehouse, account: str, stream_names: Sequence[str]
) -> tuple[SyncConfig, int | None] | None:
    """Where each stream stopped: a run config resuming every stream from the checkpoint of its newest window,
    and the oldest start time among them (``None`` when every stream resumes from a cursor, which needs no window
    around it). ``None`` when any stream has no materialization or no checkpoint (it needs every partition)."""
    start_times: dict[str, int] = {}
    cursors: dict[str, str] = {}
    for name in stream_names:
        if instance.get_latest_materialization_event(raw_asset_key(account, get_stream(name))) is None:
            return None
        try:
            stored = warehouse.checkpoints(name)  # the published copy: never waits; at worst a little behind
        except WarehouseError:  # not a DuckDB file: the run itself reports it
            return None
        if not stored:
            return None
        resume = max(stored, key=lambda c: (c.window_end, c.window_start)).resume
        if resume.cursor is not None:
            cursors[name] = resume.cursor
        elif resume.start_time is not None:
            start_times[name] = resume.start_time
        else:
            return None
    oldest = min(start_times.values()) if start_times else None
    return SyncConfig(resume_start_times=start_times, resume_cursors=cursors), oldest


def claim_account(instance: dg.DagsterInstance, account: str) -> str | None:
    """``None`` when no sync of ``account`` is in progress, else a message naming the run to wait for.

    In-progress runs started by a process of this host that no longer exists are marked failed first
    (:func:`~zd_pipeline.pipeline.liveness.live_runs`): they will never finish.
    """
    runs = live_runs(instance, account)
    return _busy_message(account, runs[0], owner(runs[0])) if runs else None


def _busy_message(account: str, run: dg.DagsterRun, by: str) -> str:
    return (
        f"another sync of account {account!r} is in progress (run {run.run_id[:8]}, {by}, status "
        f"{run.status.value}): wait for it to finish and sync again; if it is stuck, terminate it in the Dagster "
        "UI (Runs)"
    )


def run_analytics(
    env: Mapping[str, str], instance: dg.DagsterInstance | None = None, account_name: str | None = None
) -> SyncOutcome:
    """Rebuild every analytics table of an account in one run on the configured instance (what the automation
    sensor does)."""
    account = choose_account(env, account_name)
    job = build_account_definitions(account, env).resolve_job_def(account.scoped(ANALYTICS_JOB))
    result = job.execute_in_process(
        run_config=QUIET_LOGGERS, instance=instance or dg.DagsterInstance.get(), raise_on_error=False
    )
    return _outcome(result)


def _outcome(result: dg.ExecuteInProcessResult) -> SyncOutcome:
    outcome = SyncOutcome(success=result.success, run_id=result.run_id)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        name = materialization.asset_key.path[-1]
        outcome.streams[name] = {k: v.value for k, v in materialization.metadata.items()}
    for event in result.get_asset_observation_events():
        observation = event.asset_observation_data.asset_observation
        offered = observation.metadata.get(OFFERED_BY_PLAN)
        if offered is not None and offered.value is False:
            outcome.not_offered[observation.asset_key.path[-1]] = observation.description or "not offered"
    for event in result.get_asset_check_evaluations():
        outcome.checks.append(
            (event.asset_key.to_user_string(), event.check_name, event.passed, event.description or "")
        )
    failures = [e for e in result.all_events if e.is_step_failure]
    if failures:
        error = failures[0].step_failure_data.error
        outcome.failure = _failure_text(error) if error else "the run failed"
    elif not result.success:
        outcome.failure = "the run failed (see the Dagster UI for its logs)"
    return outcome


def _failure_text(error: Any) -> str:
    """The message a user needs from a step's ``SerializableErrorInfo``: the exception raised in the step (not
    Dagster's "Error occurred while executing op" wrapper), without its module-qualified class name."""
    while error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    text = (error.message or "").strip()
    head, sep, rest = text.partition(": ")
    if sep and head.rsplit(".", 1)[-1] == error.cls_name:
        text = rest.strip()
    return text


def run_reference(
    env: Mapping[str, str],
    list_names: Sequence[str],
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
    account_name: str | None = None,
) -> SyncOutcome:
    """Refresh the reference tables ``list_names`` in one run of the account's reference job (unpartitioned), on
    the configured instance; ``full_refresh`` re-reads the satisfaction ratings whole. Like :func:`run_sync`, it
    runs nothing while a run of the account is in progress, and ``account_name`` picks one of several accounts."""
    from zd_pipeline.catalogue import get_list
    from zd_pipeline.pipeline.reference_assets import reference_asset_key, reference_job_name, reference_op_name

    chosen = choose_account(env, account_name)
    account = chosen.name
    instance = instance or dg.DagsterInstance.get()
    busy = claim_account(instance, account)
    if busy is not None:
        return SyncOutcome(success=False, run_id="", failure=busy)
    job = build_account_definitions(chosen, env).resolve_job_def(reference_job_name(account))
    config = {"ops": {reference_op_name(account): {"config": {"full_refresh": full_refresh}}}}
    result = job.execute_in_process(
        run_config={**QUIET_LOGGERS, **config},
        instance=instance,
        asset_selection=[reference_asset_key(account, get_list(name)) for name in list_names],
        raise_on_error=False,
        tags={ACCOUNT_TAG: account, **process_tags()},
    )
    return _outcome(result)


def merged(first: SyncOutcome | None, second: SyncOutcome | None) -> SyncOutcome:
    """Two runs' outcomes as one (the sync's and the reference refresh's): both must succeed."""
    parts = [o for o in (first, second) if o is not None]
    return SyncOutcome(
        success=all(o.success for o in parts),
        run_id=next((o.run_id for o in parts if o.run_id), ""),
        streams={name: meta for o in parts for name, meta in o.streams.items()},
        failure="; ".join(o.failure for o in parts if o.failure) or None,
        checks=[check for o in parts for check in o.checks],
        not_offered={name: why for o in parts for name, why in o.not_offered.items()},
    )
