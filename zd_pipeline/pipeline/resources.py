"""Dagster resources: thin configurable shells that build the client and open the warehouse, nothing more.

Secrets reach these resources only through ``dagster.EnvVar`` (see :func:`zendesk_resource_from_env`), so the
stored run config stays ``{}`` and the UI shows variable names, never values. The secret fields are excluded
from ``repr`` because Dagster resolves them inside the run process.

A launchpad (or run config) override of any field of a resource replaces its whole configuration: the fields not
given fall back to the class defaults, not to what the definitions bound (checked on dagster 1.13: overriding
``per_page`` left ``api_token`` None). So :meth:`ZendeskResource.client_config` fills the location, credential and
``requests_per_minute`` fields a run left unset from the environment of the run process, exactly as
:func:`zendesk_resource_from_env` binds them (the simulator's demo credentials only with its default location); an
override of ``per_page`` in the UI then just works (and keeps the configured rate limit), and secrets still never
enter run config.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from zd_pipeline import settings as cfg
from zd_pipeline.accounts import Account
from zd_pipeline.client import ApiTokenAuth, ClientConfig, OAuthAuth, OAuthRefreshAuth, ZendeskClient
from zd_pipeline.clock import Clock, SystemClock
from zd_pipeline.warehouse import Warehouse

DEFAULT_SIMULATOR_URL = cfg.SIMULATOR_URL


class ZendeskResource(dg.ConfigurableResource):
    """One Zendesk account: where it is, how to authenticate, and how hard we may call it.

    Exactly one of ``base_url`` (the simulator, a proxy) or ``subdomain`` (``https://{subdomain}.zendesk.com``);
    ``email`` + ``api_token`` for API-token auth, or ``oauth_token``, or ``oauth_client_id`` +
    ``oauth_client_secret`` + ``oauth_refresh_token`` for expiring OAuth tokens (with ``oauth_token`` as the first
    access token, if set).
    """

    base_url: str | None = None
    subdomain: str | None = None
    email: str | None = None
    api_token: str | None = Field(default=None, repr=False, description="Secret: bind with EnvVar.")
    oauth_token: str | None = Field(default=None, repr=False, description="Secret: bind with EnvVar.")
    oauth_client_id: str | None = Field(default=None, repr=False, description="Bind with EnvVar.")
    oauth_client_secret: str | None = Field(default=None, repr=False, description="Secret: bind with EnvVar.")
    oauth_refresh_token: str | None = Field(default=None, repr=False, description="Secret: bind with EnvVar.")
    per_page: int = 1000
    requests_per_minute: int | None = Field(
        default=None,
        description=f"Client-side limit per export endpoint (0: off); unset: {cfg.ENV_REQUESTS_PER_MINUTE}, "
        f"else {cfg.DEFAULT_REQUESTS_PER_MINUTE}.",
    )
    timeout: float = 30.0

    def client_config(self) -> ClientConfig:
        """The client's configuration; location, credentials and rate limit the run's config left unset come from
        the environment (see the module docstring), read at most once. Credentials filled in for a location the
        run's config names are the environment's own, never the simulator's demo ones."""
        account = {name: getattr(self, name) for name in _ACCOUNT_FIELDS}
        rate = self.requests_per_minute
        located = bool(account["base_url"] or account["subdomain"])
        if not located or not _has_credentials(account) or rate is None:
            if os.environ.get(cfg.ENV_ACCOUNTS_FILE, "").strip():
                _check_file_account(located and _has_credentials(account))
                settings = cfg.Settings()  # the environment's variables belong to no account: the defaults
            else:
                settings = cfg.Settings.from_env(os.environ)
            if not located:
                account = _account(settings, _resolved_secrets(settings).__getitem__)
            elif not _has_credentials(account):
                secrets = dict(zip(_ACCOUNT_FIELDS[2:], _resolved_secrets(settings).values(), strict=True))
                account |= {**secrets, "email": account["email"] or settings.email}
            rate = settings.requests_per_minute if rate is None else rate
        auth: ApiTokenAuth | OAuthAuth | OAuthRefreshAuth
        if all(account.get(name) for name in _REFRESH_FIELDS):
            auth = OAuthRefreshAuth(*(account[name] for name in _REFRESH_FIELDS), account.get("oauth_token"))
        elif account.get("oauth_token"):
            auth = OAuthAuth(account["oauth_token"])
        elif _has_credentials(account):
            auth = ApiTokenAuth(account["email"], account["api_token"])
        else:
            raise ValueError(
                f"no Zendesk credentials: set {cfg.ENV_EMAIL} and {cfg.ENV_API_TOKEN}, or {cfg.ENV_OAUTH_TOKEN}"
            )
        return ClientConfig(
            base_url=account.get("base_url"),
            subdomain=account.get("subdomain"),
            auth=auth,
            per_page=self.per_page,
            requests_per_minute=rate,
            timeout=self.timeout,
            max_wait=60 * cfg.parse_max_wait_minutes(os.environ.get(cfg.ENV_MAX_WAIT_MINUTES, "").strip() or None),
        )

    def build_client(self, clock: Clock | None = None) -> ZendeskClient:
        """A new client; the caller closes it (``with resource.build_client() as client``)."""
        return ZendeskClient(self.client_config(), clock=clock or SystemClock())


class WarehouseResource(dg.ConfigurableResource):
    """The account's DuckDB file users query (the pipeline writes a hidden working copy beside it)."""

    path: str = str(cfg.DEFAULT_DUCKDB_PATH)
    lock_timeout: float = 60.0
    memory_limit: str = Field(
        default=cfg.DEFAULT_DUCKDB_MEMORY_LIMIT,
        description=f"DuckDB's memory limit for every connection of a run (env {cfg.ENV_DUCKDB_MEMORY_LIMIT}).",
    )

    def open(self) -> Warehouse:
        """The warehouse; a path that cannot hold a DuckDB file fails here with the message ``zd-pipeline sync``
        gives (naming ``ZD_DUCKDB_PATH``), so runs launched from the UI or the sensor explain it the same way."""
        cfg.check_duckdb_path(Path(self.path))
        return Warehouse(self.path, lock_timeout=self.lock_timeout, memory_limit=self.memory_limit)


def zendesk_resource_from_env(env: Mapping[str, str]) -> ZendeskResource:
    """Bind the resource to the pinned environment names.

    Values that are secrets are bound as ``EnvVar`` (resolved in the run, never stored). Which variables are bound
    depends on which are set when the definitions load, because Dagster fails a run on an unset ``EnvVar``. With
    neither ``ZENDESK_BASE_URL`` nor ``ZENDESK_SUBDOMAIN`` set, the resource points at the local simulator on its
    default port with the simulator's public demo credentials (the embedded default for the demo).
    """
    settings = cfg.Settings.from_env(env)
    return ZendeskResource(**_account(settings, dg.EnvVar), requests_per_minute=settings.requests_per_minute)


_REFRESH_FIELDS = ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")
_ACCOUNT_FIELDS = ("base_url", "subdomain", "email", "api_token", "oauth_token", *_REFRESH_FIELDS)


def _check_file_account(complete: bool) -> None:
    """With an accounts file the ``ZENDESK_*`` variables belong to no account: a run whose config replaced the
    resource's bindings (a launchpad override) must repeat the location and credentials, since filling them in
    from the environment could only pick the wrong account."""
    if not complete:
        raise ValueError(
            f"this run's config of the Zendesk resource leaves out its location or credentials, and with "
            f"{cfg.ENV_ACCOUNTS_FILE} set they cannot be filled in from the environment: leave the resource out of "
            "the run config, or give base_url or subdomain and the credentials too"
        )


def _has_credentials(account: Mapping[str, Any]) -> bool:
    refresh = all(account.get(name) for name in _REFRESH_FIELDS)
    return bool(refresh or account.get("oauth_token") or (account.get("email") and account.get("api_token")))


def _resolved_secrets(settings: cfg.Settings) -> dict[str, str | None]:
    """The secrets' values by variable name (for :func:`_account` in the run, where ``EnvVar`` would resolve)."""
    return {
        cfg.ENV_EMAIL: settings.email,
        cfg.ENV_API_TOKEN: settings.api_token,
        cfg.ENV_OAUTH_TOKEN: settings.oauth_token,
        cfg.ENV_OAUTH_CLIENT_ID: settings.oauth_client_id,
        cfg.ENV_OAUTH_CLIENT_SECRET: settings.oauth_client_secret,
        cfg.ENV_OAUTH_REFRESH_TOKEN: settings.oauth_refresh_token,
    }


def _account(settings: cfg.Settings, secret: Callable[[str], Any]) -> dict[str, Any]:
    """The location and credential fields for ``settings``; ``secret(variable name)`` gives each secret's value
    (``dg.EnvVar`` to bind it, a lookup to resolve it)."""
    if settings.base_url is None and settings.subdomain is None:
        token = secret(cfg.ENV_API_TOKEN) if settings.api_token else cfg.DEMO_API_TOKEN
        return {"base_url": DEFAULT_SIMULATOR_URL, "email": settings.email or cfg.DEMO_EMAIL, "api_token": token}
    location = {"base_url": settings.base_url} if settings.base_url else {"subdomain": settings.subdomain}
    if settings.oauth_client_id and settings.oauth_client_secret and settings.oauth_refresh_token:
        refresh = {
            field: secret(name) for field, name in zip(_REFRESH_FIELDS, cfg.OAUTH_REFRESH_VARIABLES, strict=True)
        }
        access = {"oauth_token": secret(cfg.ENV_OAUTH_TOKEN)} if settings.oauth_token else {}
        return {**location, **refresh, **access}
    if settings.oauth_token:
        return {**location, "oauth_token": secret(cfg.ENV_OAUTH_TOKEN)}
    return {**location, "email": secret(cfg.ENV_EMAIL), "api_token": secret(cfg.ENV_API_TOKEN)}


def zendesk_resource_for(account: Account, env: Mapping[str, str]) -> ZendeskResource:
    """The account's resource: the environment's account exactly as :func:`zendesk_resource_from_env` binds it;
    a file's account with its location and its own variables bound as ``EnvVar`` (a variable unset when the run
    starts fails that account's run, naming the variable, and no other)."""
    if not account.from_file:
        return zendesk_resource_from_env(env)
    location = {"base_url": account.base_url} if account.base_url else {"subdomain": account.subdomain}
    secrets = {name: dg.EnvVar(variable) for name, variable in account.secret_variables.items()}
    return ZendeskResource(**location, **secrets, requests_per_minute=account.requests_per_minute)


def warehouse_resource_for(account: Account) -> WarehouseResource:
    return WarehouseResource(path=str(account.duckdb_path), memory_limit=account.duckdb_memory_limit)


def warehouse_resource_from_env(env: Mapping[str, str]) -> WarehouseResource:
    settings = cfg.Settings.from_env(env)
    return WarehouseResource(path=str(settings.duckdb_path), memory_limit=settings.duckdb_memory_limit)
