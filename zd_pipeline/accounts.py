"""The Zendesk accounts a deployment serves: the environment's one account, or every entry of ``ZD_ACCOUNTS_FILE``.

Without ``ZD_ACCOUNTS_FILE`` there is exactly one account, read from the ``ZENDESK_*``/``ZD_*`` variables as
:class:`~zd_pipeline.settings.Settings` always did (its name is ``ZD_SCHEMA``, ``zendesk`` by default). With it, the
YAML file lists the accounts::

    accounts:
      - name: acme                          # asset-key prefix and group; lower-case letters, digits, _
        subdomain: acme                     # or base_url: https://support.acme.example
        email_env: ACME_ZENDESK_EMAIL       # the NAMES of the variables holding the secrets
        api_token_env: ACME_ZENDESK_API_TOKEN
        requests_per_minute: 10             # optional, as ZENDESK_REQUESTS_PER_MINUTE (default 10)
        start_date: 2025-01-01              # optional, as ZENDESK_START_DATE (default: 90 days ago)
        duckdb_path: data/acme.duckdb       # optional (default data/<name>.duckdb); relative to this file's folder
      - name: globex
        base_url: https://globex.zendesk.com
        oauth_token_env: GLOBEX_ZENDESK_OAUTH_TOKEN

An entry takes the single-account variables' settings in lower case without their prefix (also
``sensor_interval_seconds``, ``freshness_hours``, ``duckdb_memory_limit``, ``reference_cron`` and
``list_requests_per_minute``); whatever it leaves out has the
documented default, never the value of a ``ZENDESK_*`` variable. Secrets are never written in the file: a key
holding one (``api_token``, ``email``, ``oauth_token``, ...) is refused and the error names the ``*_env`` key to
use instead. The file is read when the definitions load, so ``dagster dev``'s reload or a code-server restart picks
up an added or removed account with no code change. This module knows nothing of Dagster: it parses and validates,
and resolves an account's secrets from the environment only when asked (:meth:`Account.settings`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zd_pipeline import settings as cfg

DEFAULT_ANALYTICS_SCHEMA = "analytics"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_NAMES = {DEFAULT_ANALYTICS_SCHEMA, "main", "information_schema", "pg_catalog", "temp", "system"}

# The secrets an account needs, by field, with the environment variable the single account reads each from. A file
# entry names its own variable for each as ``<field>_env``.
SECRETS: dict[str, str] = {
    "email": cfg.ENV_EMAIL,
    "api_token": cfg.ENV_API_TOKEN,
    "oauth_token": cfg.ENV_OAUTH_TOKEN,
    "oauth_client_id": cfg.ENV_OAUTH_CLIENT_ID,
    "oauth_client_secret": cfg.ENV_OAUTH_CLIENT_SECRET,
    "oauth_refresh_token": cfg.ENV_OAUTH_REFRESH_TOKEN,
}
_REFRESH = ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")
# Keys that look like a secret written into the file; refused with the fix (``<key>_env``) and never echoed.
_SECRET_WORDS = ("token", "password", "secret", "email", "credential", "key")
_SETTINGS = {
    "name",
    "base_url",
    "subdomain",
    "requests_per_minute",
    "start_date",
    "duckdb_path",
    "sensor_interval_seconds",
    "freshness_hours",
    "duckdb_memory_limit",
    "reference_cron",
    "list_requests_per_minute",
}
_ALLOWED = _SETTINGS | {f"{name}_env" for name in SECRETS}


@dataclass(frozen=True)
class Account:
    """One Zendesk account and everything a deployment keeps apart for it.

    ``secret_variables`` maps each secret field (``email``, ``api_token``, ``oauth_token``) the account
    authenticates with to the NAME of the environment variable holding it; values are read only by
    :meth:`settings` (at sync time) or by Dagster's ``EnvVar`` in the run. ``from_file`` is False for the
    environment's single account, whose Dagster names stay exactly as they were before accounts files existed.
    """

    name: str
    base_url: str | None = None
    subdomain: str | None = None
    secret_variables: Mapping[str, str] = field(default_factory=dict)
    requests_per_minute: int = cfg.DEFAULT_REQUESTS_PER_MINUTE
    start_date: date = field(default_factory=lambda: cfg.default_start_date())
    duckdb_path: Path = cfg.DEFAULT_DUCKDB_PATH
    duckdb_memory_limit: str = cfg.DEFAULT_DUCKDB_MEMORY_LIMIT
    sensor_interval_seconds: int = cfg.DEFAULT_SENSOR_INTERVAL_SECONDS
    freshness_hours: float = cfg.DEFAULT_FRESHNESS_HOURS
    reference_cron: str = cfg.DEFAULT_REFERENCE_CRON
    list_requests_per_minute: int = cfg.DEFAULT_LIST_REQUESTS_PER_MINUTE
    from_file: bool = False

    @property
    def schema(self) -> str:
        """The raw asset keys' prefix (``ZD_SCHEMA`` for the environment's account): the account's name."""
        return self.name

    def scoped(self, name: str) -> str:
        """A name of the deployment's made the account's own: ``<account>_<name>`` for a file's account; the
        environment's account keeps the plain names it always had (resource keys ``zendesk`` and ``warehouse``,
        group ``analytics``, ...)."""
        return f"{self.name}_{name}" if self.from_file else name

    @property
    def analytics_prefix(self) -> tuple[str, ...]:
        """Asset-key prefix of the account's analytics tables (keys ``[*prefix, "analytics", table]``)."""
        return (self.name,) if self.from_file else ()

    def settings(self, env: Mapping[str, str] | None = None) -> cfg.Settings:
        """The account as :class:`~zd_pipeline.settings.Settings`, its secrets resolved from ``env`` now."""
        env = os.environ if env is None else env
        secrets = {name: (env.get(variable) or "").strip() or None for name, variable in self.secret_variables.items()}
        return cfg.Settings(
            base_url=self.base_url,
            subdomain=self.subdomain,
            requests_per_minute=self.requests_per_minute,
            duckdb_path=self.duckdb_path,
            duckdb_memory_limit=self.duckdb_memory_limit,
            schema=self.schema,
            start_date=self.start_date,
            dagster_home=Path((env.get(cfg.ENV_DAGSTER_HOME) or "").strip() or cfg.DEFAULT_DAGSTER_HOME),
            sensor_interval_seconds=self.sensor_interval_seconds,
            freshness_hours=self.freshness_hours,
            reference_cron=self.reference_cron,
            list_requests_per_minute=self.list_requests_per_minute,
            **secrets,
        )


def load_accounts(env: Mapping[str, str] | None = None) -> list[Account]:
    """Every account of the deployment: the file's entries when ``ZD_ACCOUNTS_FILE`` is set, else the
    environment's one account. Raises ``SettingsError`` naming the file, the entry and the fix."""
    env = os.environ if env is None else env
    path = (env.get(cfg.ENV_ACCOUNTS_FILE) or "").strip()
    if not path:
        return [environment_account(cfg.Settings.from_env(env))]
    return read_accounts_file(Path(path))


def find_account(accounts: list[Account], name: str) -> Account:
    for account in accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in accounts)
    raise cfg.SettingsError(f"no account named {name!r}: the configured accounts are {known}")


def environment_account(settings: cfg.Settings) -> Account:
    """The single account of the ``ZENDESK_*`` variables, named after its schema (``ZD_SCHEMA``)."""
    return Account(
        name=settings.schema,
        base_url=settings.base_url,
        subdomain=settings.subdomain,
        secret_variables=dict(SECRETS),
        requests_per_minute=settings.requests_per_minute,
        start_date=settings.start_date,
        duckdb_path=settings.duckdb_path,
        duckdb_memory_limit=settings.duckdb_memory_limit,
        sensor_interval_seconds=settings.sensor_interval_seconds,
        freshness_hours=settings.freshness_hours,
        reference_cron=settings.reference_cron,
        list_requests_per_minute=settings.list_requests_per_minute,
    )


def default_duckdb_path(name: str, folder: Path = cfg.DATA_FOLDER) -> Path:
    """A file of the account's own, named after it as the single account's is (``data/<name>.duckdb``): a session
    on it reads ``tickets`` or ``<name>.tickets``."""
    return folder / f"{name}.duckdb"


def read_accounts_file(path: Path) -> list[Account]:
    import yaml  # PyYAML: a Dagster dependency, declared in pyproject

    where = f"{cfg.ENV_ACCOUNTS_FILE}={path}"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise cfg.SettingsError(f"{where} cannot be read ({reason}): point it at the accounts YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise cfg.SettingsError(f"{where} is not valid YAML{at}: fix the file's syntax") from None
    entries = document.get("accounts") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise cfg.SettingsError(f"{where} must hold a non-empty list under 'accounts:', e.g.\n{_EXAMPLE}")
    accounts = [parse_entry(entry, index, path) for index, entry in enumerate(entries, start=1)]
    _check_distinct(accounts, where)
    return accounts


_EXAMPLE = """accounts:
  - name: acme
    subdomain: acme
    email_env: ACME_ZENDESK_EMAIL
    api_token_env: ACME_ZENDESK_API_TOKEN"""


def parse_entry(entry: Any, index: int, path: Path) -> Account:
    """One entry of the file as an :class:`Account`; every error names the file, the entry and what to write."""
    where = f"{path}: account #{index}"
    if not isinstance(entry, dict):
        raise cfg.SettingsError(f"{where} is not a mapping of settings: write it as in\n{_EXAMPLE}")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED_NAMES:
        raise cfg.SettingsError(
            f"{where}: name {name!r} cannot name an account: use lower-case letters, digits and underscores, "
            f"starting with a letter, at most 40 characters, and none of {', '.join(sorted(_RESERVED_NAMES))} "
            "(it becomes the asset-key prefix, the Dagster group and the name of its default DuckDB file)"
        )
    where = f"{path}: account {name!r}"
    for key in entry:
        _check_key(str(key), where)
    values = {key: entry[key] for key in _SETTINGS if entry.get(key) is not None}
    requests_per_minute = _whole(values, "requests_per_minute", cfg.DEFAULT_REQUESTS_PER_MINUTE, where, zero=True)
    # as for the environment's account: the lists' budget is off by default when the exports' throttle is off
    lists_default = 0 if requests_per_minute == 0 else cfg.DEFAULT_LIST_REQUESTS_PER_MINUTE
    return Account(
        name=name,
        **_location(values, where),
        secret_variables=_secret_variables(entry, where),
        requests_per_minute=requests_per_minute,
        start_date=_start_date(values.get("start_date"), where),
        duckdb_path=_duckdb_path(values.get("duckdb_path"), name, path, where),
        duckdb_memory_limit=_memory_limit(values.get("duckdb_memory_limit"), where),
        sensor_interval_seconds=_whole(values, "sensor_interval_seconds", cfg.DEFAULT_SENSOR_INTERVAL_SECONDS, where),
        freshness_hours=_hours(values.get("freshness_hours"), where),
        reference_cron=_reference_cron(values.get("reference_cron"), where),
        list_requests_per_minute=_whole(values, "list_requests_per_minute", lists_default, where, zero=True),
        from_file=True,
    )


def _check_key(key: str, where: str) -> None:
    if key in _ALLOWED:
        return
    if any(word in key.lower() for word in _SECRET_WORDS):
        raise cfg.SettingsError(
            f"{where}: '{key}' would put a secret in the accounts file, which is refused (its value is not shown): "
            "keep the secret in an environment variable and write that variable's name in the file instead, e.g. "
            f"'{key}_env: ACME_ZENDESK_{key.upper()}' (an account takes {_secret_keys()})"
        )
    raise cfg.SettingsError(f"{where}: unknown setting '{key}': an account takes {', '.join(sorted(_ALLOWED))}")


def _secret_keys() -> str:
    return ", ".join(f"{name}_env" for name in SECRETS)


def _location(values: dict[str, Any], where: str) -> dict[str, str]:
    base_url, subdomain = values.get("base_url"), values.get("subdomain")
    if (base_url is None) == (subdomain is None):
        raise cfg.SettingsError(
            f"{where}: give exactly one of 'subdomain' (acme for https://acme.zendesk.com) or 'base_url'"
        )
    if subdomain is not None:
        if not isinstance(subdomain, str) or not _SUBDOMAIN.match(subdomain):
            raise cfg.SettingsError(
                f"{where}: subdomain {subdomain!r} is not a Zendesk subdomain: give only the first label, e.g. "
                "'acme' for https://acme.zendesk.com (or use 'base_url' for a full URL)"
            )
        return {"subdomain": subdomain}
    parts = urlsplit(str(base_url))
    if parts.username is not None or parts.password is not None:
        raise cfg.SettingsError(
            f"{where}: base_url must not carry credentials (not shown): name their variables in email_env / "
            "api_token_env instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise cfg.SettingsError(
            f"{where}: base_url {base_url!r} is not a URL: write it as https://acme.zendesk.com (or "
            "http://127.0.0.1:8765 for the simulator), or give 'subdomain: acme' instead"
        )
    return {"base_url": str(base_url).rstrip("/")}


def _secret_variables(entry: dict[str, Any], where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in SECRETS:
        value = entry.get(f"{name}_env")
        if value is None:
            continue
        if not isinstance(value, str) or not _VARIABLE.match(value):
            raise cfg.SettingsError(
                f"{where}: {name}_env must be the NAME of an environment variable (letters, digits, underscores; "
                f"e.g. ACME_ZENDESK_{name.upper()}), and its value here is not one (not shown, in case it is the "
                "secret itself): put the secret in that variable, and its name in the file"
            )
        found[name] = value
    if all(name in found for name in _REFRESH):  # expiring OAuth tokens; oauth_token_env, if given, is the first
        return {name: found[name] for name in (*_REFRESH, "oauth_token") if name in found}
    if any(name in found for name in _REFRESH):
        raise cfg.SettingsError(
            f"{where}: expiring OAuth tokens need all three of oauth_client_id_env, oauth_client_secret_env and "
            "oauth_refresh_token_env"
        )
    if "oauth_token" in found:
        return {"oauth_token": found["oauth_token"]}
    if "email" in found and "api_token" in found:
        return {"email": found["email"], "api_token": found["api_token"]}
    raise cfg.SettingsError(
        f"{where}: no credentials: name the variables holding them, 'email_env' and 'api_token_env' (an API "
        "token), or 'oauth_token_env' (or the three oauth_*_env of expiring OAuth tokens)"
    )


def _whole(values: dict[str, Any], key: str, default: int, where: str, *, zero: bool = False) -> int:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not zero):
        smallest = "0" if zero else "1"
        raise cfg.SettingsError(f"{where}: {key} must be a whole number of {smallest} or more, got {value!r}")
    return value


def _hours(value: Any, where: str) -> float:
    if value is None:
        return cfg.DEFAULT_FRESHNESS_HOURS
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise cfg.SettingsError(f"{where}: freshness_hours must be a number of hours above 0, e.g. 6 or 0.5")
    return float(value)


def _memory_limit(value: Any, where: str) -> str:
    try:
        return cfg.parse_memory_limit(None if value is None else str(value))
    except cfg.SettingsError as exc:
        message = exc.args[0].replace(f"{cfg.ENV_DUCKDB_MEMORY_LIMIT}=", "duckdb_memory_limit ")
        raise cfg.SettingsError(f"{where}: {message}") from None


def _reference_cron(value: Any, where: str) -> str:
    try:
        return cfg.parse_reference_cron(None if value is None else str(value))
    except cfg.SettingsError as exc:
        message = exc.args[0].replace(f"{cfg.ENV_REFERENCE_CRON}=", "reference_cron ")
        raise cfg.SettingsError(f"{where}: {message}") from None


def _start_date(value: Any, where: str) -> date:
    if isinstance(value, date):  # YAML reads 2025-01-01 as a date
        value = value.isoformat()
    try:
        return cfg.parse_start_date(None if value is None else str(value))
    except cfg.SettingsError as exc:
        message = exc.args[0].replace(f"{cfg.ENV_START_DATE}=", "start_date ")
        raise cfg.SettingsError(f"{where}: {message}") from None


def _duckdb_path(value: Any, name: str, path: Path, where: str) -> Path:
    if value is None:
        return default_duckdb_path(name)
    target = Path(str(value)).expanduser()
    target = target if target.is_absolute() else path.resolve().parent / target
    if target.is_dir():
        raise cfg.SettingsError(f"{where}: duckdb_path {target} is a directory: point it at a file in it")
    return target


def _check_distinct(accounts: list[Account], where: str) -> None:
    seen: dict[str, Account] = {}
    files: dict[Path, Account] = {}
    for account in accounts:
        if account.name in seen:
            raise cfg.SettingsError(f"{where}: two accounts are named {account.name!r}: give each a name of its own")
        seen[account.name] = account
        path = account.duckdb_path.resolve()
        if path in files:
            raise cfg.SettingsError(
                f"{where}: accounts {files[path].name!r} and {account.name!r} share the DuckDB file {path}: each "
                "account writes a file of its own (leave duckdb_path out for the default)"
            )
        files[path] = account


def check_account(account: Account, env: Mapping[str, str] | None = None) -> None:
    """What ``zd-pipeline sync`` checks before anything runs: for the environment's account exactly
    :func:`~zd_pipeline.settings.check_for_sync`; for a file's account that the variables it names are set, and
    that its DuckDB file can be written. Every message names the account and the variable or key to fix."""
    env = os.environ if env is None else env
    if not account.from_file:
        cfg.check_for_sync(cfg.Settings.from_env(env))
        return
    for name, variable in account.secret_variables.items():
        if not (env.get(variable) or "").strip():
            raise cfg.SettingsError(
                f"account {account.name!r}: {variable} is not set (its {name}_env): set it to the account's "
                f"{name.replace('_', ' ')}, or name another variable in {cfg.ENV_ACCOUNTS_FILE}"
            )
    email = account.settings(env).email
    if email is not None and "@" not in email:
        variable = account.secret_variables["email"]
        raise cfg.SettingsError(
            f"account {account.name!r}: {variable} is not an email address: use the agent's login email"
        )
    try:
        cfg.check_duckdb_path(account.duckdb_path)
    except cfg.SettingsError as exc:
        message = exc.args[0].replace(cfg.ENV_DUCKDB_PATH, "duckdb_path")
        raise cfg.SettingsError(f"account {account.name!r}: {message}") from None
