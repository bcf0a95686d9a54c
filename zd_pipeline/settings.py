"""Configuration from one place: every environment variable the project reads is named and parsed here.

Every variable the project reads is in :data:`ENVIRONMENT`, with what it sets and its default; ``zd-pipeline sync
--help`` prints that list, and a test checks that every ``ENV_*`` name below is in it.

Secrets are held in fields excluded from ``repr`` and are never logged.

Variables read by libraries, whose defaults the project changes (and keeps when set):
``DAGSTER_EVENT_BATCH_SIZE`` (``pipeline.event_batching``: 1000).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_BASE_URL = "ZENDESK_BASE_URL"
ENV_SUBDOMAIN = "ZENDESK_SUBDOMAIN"
ENV_EMAIL = "ZENDESK_EMAIL"
ENV_API_TOKEN = "ZENDESK_API_TOKEN"
ENV_OAUTH_TOKEN = "ZENDESK_OAUTH_TOKEN"
ENV_OAUTH_CLIENT_ID = "ZENDESK_OAUTH_CLIENT_ID"
ENV_OAUTH_CLIENT_SECRET = "ZENDESK_OAUTH_CLIENT_SECRET"
ENV_OAUTH_REFRESH_TOKEN = "ZENDESK_OAUTH_REFRESH_TOKEN"
OAUTH_REFRESH_VARIABLES = (ENV_OAUTH_CLIENT_ID, ENV_OAUTH_CLIENT_SECRET, ENV_OAUTH_REFRESH_TOKEN)
ENV_REQUESTS_PER_MINUTE = "ZENDESK_REQUESTS_PER_MINUTE"
ENV_MAX_WAIT_MINUTES = "ZENDESK_MAX_WAIT_MINUTES"
ENV_DUCKDB_PATH = "ZD_DUCKDB_PATH"
ENV_SCHEMA = "ZD_SCHEMA"
ENV_START_DATE = "ZENDESK_START_DATE"
ENV_DAGSTER_HOME = "DAGSTER_HOME"
ENV_SENSOR_INTERVAL = "ZD_SENSOR_INTERVAL_SECONDS"
ENV_FRESHNESS_HOURS = "ZD_FRESHNESS_HOURS"
ENV_DUCKDB_MEMORY_LIMIT = "ZD_DUCKDB_MEMORY_LIMIT"
ENV_ACCOUNTS_FILE = "ZD_ACCOUNTS_FILE"
ENV_REFERENCE_CRON = "ZD_REFERENCE_CRON"
ENV_LIST_REQUESTS_PER_MINUTE = "ZENDESK_LIST_REQUESTS_PER_MINUTE"

# Where the local simulator listens by default (``zd-pipeline simulator``, ``make simulator``): what a sync targets
# when neither ENV_BASE_URL nor ENV_SUBDOMAIN is set.
SIMULATOR_URL = "http://127.0.0.1:8765"

# Documented demo credentials: the simulator accepts these when the ZENDESK_* variables are unset, so the demo
# and tests run with no setup. They open nothing but a local simulator.
DEMO_EMAIL = "demo@example.com"
DEMO_API_TOKEN = "zd-demo-api-token"
DEMO_OAUTH_TOKEN = "zd-demo-oauth-token"

DEFAULT_REQUESTS_PER_MINUTE = 10
DEFAULT_MAX_WAIT_MINUTES = 15.0
DEFAULT_SCHEMA = "zendesk"
DATA_FOLDER = PROJECT_ROOT / "data"
DEFAULT_DUCKDB_PATH = DATA_FOLDER / f"{DEFAULT_SCHEMA}.duckdb"
# DuckDB's memory limit for every connection the pipeline opens (a sync, an analytics rebuild, the checks, the
# demo's reads); beyond it DuckDB spills to disk where it can and otherwise fails the step, naming the setting.
# DuckDB keeps cached blocks up to its limit, so a sync's peak RSS is the process's own ~310 MB plus up to this.
# Measured at bench scale (bench/RESULTS.md, figures 6 and 7): a sync of ~85,000 → 1,000,000 tickets peaks at
# 428 → 579 MB with 256MB and 431 → 452 MB with 128MB, at the same speed; but the analytics rebuild of that
# account (21.6 million records) fails at 128MB (ticket_reply_times' window functions over 12 million metric
# events) and takes 99 s at 256MB. The default is what a whole account needs. DuckDB's own default, 80 % of the
# machine, let a 1,000,000-ticket sync grow past 1 GB.
DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"
_MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
DEFAULT_HISTORY_DAYS = 90
DEFAULT_SENSOR_INTERVAL_SECONDS = 300
DEFAULT_FRESHNESS_HOURS = 6.0
DEFAULT_REFERENCE_CRON = "0 * * * *"  # the reference tables (groups, brands, fields...) refresh hourly
DEFAULT_LIST_REQUESTS_PER_MINUTE = 60  # of the account-wide limit (200 a minute on the smallest plan)
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name and what it sets, default included (shown by ``sync --help``)."""

    name: str
    meaning: str
    secret: bool = False


ENVIRONMENT: tuple[Variable, ...] = (
    Variable(ENV_SUBDOMAIN, "the account: https://{subdomain}.zendesk.com (give only 'acme')"),
    Variable(
        ENV_BASE_URL,
        f"or the account's full base URL (a proxy, or a simulator). Neither set: the local simulator at "
        f"{SIMULATOR_URL} with its demo credentials",
    ),
    Variable(ENV_EMAIL, "the agent's login email, for API-token auth ({email}/token)"),
    Variable(ENV_API_TOKEN, "its API token (Admin Center > Apps and integrations > Zendesk API)", secret=True),
    Variable(ENV_OAUTH_TOKEN, "or an OAuth bearer token instead of the two above", secret=True),
    Variable(
        ENV_OAUTH_CLIENT_ID,
        "or, for expiring OAuth tokens, an OAuth client's id with the next two; the sync refreshes the access token "
        "and keeps the rotated refresh token in memory only",
    ),
    Variable(ENV_OAUTH_CLIENT_SECRET, "that OAuth client's secret", secret=True),
    Variable(ENV_OAUTH_REFRESH_TOKEN, "a refresh token of that client (Zendesk revokes it once used)", secret=True),
    Variable(
        ENV_REQUESTS_PER_MINUTE,
        f"requests a minute per export endpoint: {DEFAULT_REQUESTS_PER_MINUTE} (default), 30 with the High Volume "
        "add-on, 0 = no client-side throttle (a local simulator)",
    ),
    Variable(
        ENV_MAX_WAIT_MINUTES,
        f"minutes one request may wait for Zendesk (Retry-After, back-off) before the sync fails "
        f"(default {DEFAULT_MAX_WAIT_MINUTES:g})",
    ),
    Variable(ENV_DUCKDB_PATH, f"the DuckDB file you query (default data/<{ENV_SCHEMA}>.duckdb)"),
    Variable(ENV_SCHEMA, f"the account's name: asset-key prefix, run tag, file name (default {DEFAULT_SCHEMA})"),
    Variable(
        ENV_DUCKDB_MEMORY_LIMIT,
        f"DuckDB's memory limit for every connection the pipeline opens (default {DEFAULT_DUCKDB_MEMORY_LIMIT})",
    ),
    Variable(
        ENV_REFERENCE_CRON,
        f"when the reference tables (groups, brands, fields...) refresh, a cron in UTC "
        f"(default {DEFAULT_REFERENCE_CRON})",
    ),
    Variable(
        ENV_LIST_REQUESTS_PER_MINUTE,
        f"requests a minute for the reference lists, their share of the account-wide limit "
        f"(default {DEFAULT_LIST_REQUESTS_PER_MINUTE}; 0 when {ENV_REQUESTS_PER_MINUTE}=0)",
    ),
    Variable(ENV_START_DATE, f"first daily partition, YYYY-MM-DD (default {DEFAULT_HISTORY_DAYS} days before today)"),
    Variable(
        ENV_SENSOR_INTERVAL,
        f"seconds between the sync sensor's polls of a stream (default {DEFAULT_SENSOR_INTERVAL_SECONDS})",
    ),
    Variable(
        ENV_FRESHNESS_HOURS,
        f"hours a stream may lag behind now before its freshness check fails (default {DEFAULT_FRESHNESS_HOURS:g})",
    ),
    Variable(
        ENV_ACCOUNTS_FILE,
        "a YAML file listing several accounts (docs/deployment.md); when set, the account variables above are not "
        "read: each entry names its own (default: unset, the one account above)",
    ),
    Variable(ENV_DAGSTER_HOME, "the Dagster instance folder (default .dagster_home in the project folder)"),
)


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """The parsed environment. Build it with :meth:`from_env`; secrets are hidden from ``repr``."""

    base_url: str | None = None
    subdomain: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = field(default=None, repr=False)
    oauth_refresh_token: str | None = field(default=None, repr=False)
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    max_wait_minutes: float = DEFAULT_MAX_WAIT_MINUTES
    duckdb_path: Path = DEFAULT_DUCKDB_PATH
    schema: str = DEFAULT_SCHEMA
    start_date: date = field(default_factory=lambda: default_start_date())
    dagster_home: Path = DEFAULT_DAGSTER_HOME
    sensor_interval_seconds: int = DEFAULT_SENSOR_INTERVAL_SECONDS
    freshness_hours: float = DEFAULT_FRESHNESS_HOURS
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    reference_cron: str = DEFAULT_REFERENCE_CRON
    list_requests_per_minute: int = DEFAULT_LIST_REQUESTS_PER_MINUTE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        schema = get(ENV_SCHEMA) or DEFAULT_SCHEMA
        return cls(
            base_url=get(ENV_BASE_URL),
            subdomain=get(ENV_SUBDOMAIN),
            email=get(ENV_EMAIL),
            api_token=get(ENV_API_TOKEN),
            oauth_token=get(ENV_OAUTH_TOKEN),
            oauth_client_id=get(ENV_OAUTH_CLIENT_ID),
            oauth_client_secret=get(ENV_OAUTH_CLIENT_SECRET),
            oauth_refresh_token=get(ENV_OAUTH_REFRESH_TOKEN),
            requests_per_minute=parse_requests_per_minute(get(ENV_REQUESTS_PER_MINUTE)),
            max_wait_minutes=parse_max_wait_minutes(get(ENV_MAX_WAIT_MINUTES)),
            duckdb_path=Path(get(ENV_DUCKDB_PATH) or DATA_FOLDER / f"{schema}.duckdb"),
            schema=schema,
            start_date=parse_start_date(get(ENV_START_DATE)),
            dagster_home=Path(get(ENV_DAGSTER_HOME) or DEFAULT_DAGSTER_HOME),
            sensor_interval_seconds=_positive_int(ENV_SENSOR_INTERVAL, get(ENV_SENSOR_INTERVAL))
            or DEFAULT_SENSOR_INTERVAL_SECONDS,
            freshness_hours=parse_freshness_hours(get(ENV_FRESHNESS_HOURS)),
            duckdb_memory_limit=parse_memory_limit(get(ENV_DUCKDB_MEMORY_LIMIT)),
            reference_cron=parse_reference_cron(get(ENV_REFERENCE_CRON)),
            list_requests_per_minute=parse_list_requests_per_minute(
                get(ENV_LIST_REQUESTS_PER_MINUTE), get(ENV_REQUESTS_PER_MINUTE)
            ),
        )


def check_for_sync(settings: Settings) -> None:
    """Raise ``SettingsError`` naming the variable and the fix for what a sync cannot start with.

    Checked by ``zd-pipeline sync`` before anything runs (not when the code location loads, so a wrong value
    never hides the Dagster UI): where the account is, that credentials are set for it, and that the DuckDB
    path can be a file.
    """
    if settings.subdomain is not None and settings.base_url is None and not _SUBDOMAIN.match(settings.subdomain):
        raise SettingsError(
            f"{ENV_SUBDOMAIN}={settings.subdomain!r} is not a Zendesk subdomain: give only the first label, e.g. "
            f"'acme' for https://acme.zendesk.com (or set {ENV_BASE_URL} to a full URL)"
        )
    if settings.base_url is not None:
        _check_base_url(settings.base_url)
    located = settings.base_url is not None or settings.subdomain is not None
    refresh = [settings.oauth_client_id, settings.oauth_client_secret, settings.oauth_refresh_token]
    if any(refresh) and not all(refresh):
        missing = [name for name, value in zip(OAUTH_REFRESH_VARIABLES, refresh, strict=True) if not value]
        raise SettingsError(
            f"expiring OAuth tokens need all of {', '.join(OAUTH_REFRESH_VARIABLES)}: set {', '.join(missing)} "
            f"(from the OAuth client in Admin Center > Apps and integrations > APIs > OAuth clients)"
        )
    api_token = settings.email is not None and settings.api_token is not None
    has_credentials = api_token or settings.oauth_token is not None or all(refresh)
    if located and not has_credentials:
        raise SettingsError(
            f"no Zendesk credentials: set {ENV_EMAIL} and {ENV_API_TOKEN} (an API token from Admin Center > Apps "
            f"and integrations > Zendesk API), or {ENV_OAUTH_TOKEN}, or {', '.join(OAUTH_REFRESH_VARIABLES)}"
        )
    uses_oauth = settings.oauth_token is not None or all(refresh)
    if settings.email is not None and not uses_oauth and "@" not in settings.email:
        raise SettingsError(f"{ENV_EMAIL}={settings.email!r} is not an email address: use the agent's login email")
    check_duckdb_path(settings.duckdb_path)


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.username is not None or parts.password is not None:
        raise SettingsError(f"{ENV_BASE_URL} must not carry credentials: set {ENV_EMAIL}/{ENV_API_TOKEN} instead")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{ENV_BASE_URL}={base_url!r} is not a URL: write it as https://acme.zendesk.com (or "
            f"http://127.0.0.1:8765 for the simulator), or set {ENV_SUBDOMAIN}=acme instead"
        )


def check_duckdb_path(path: Path) -> None:
    """The file's folder exists (or can be made) and is writable; an existing file is left to the warehouse."""
    if path.is_dir():
        raise SettingsError(
            f"{ENV_DUCKDB_PATH}={path} is a directory: point it at a file, e.g. {path / 'zendesk.duckdb'}"
        )
    folder = path.parent
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise SettingsError(
                    f"{ENV_DUCKDB_PATH}={path} cannot be created: {ancestor} is a file, not a folder; point "
                    f"{ENV_DUCKDB_PATH} at a file in a writable folder"
                )
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise SettingsError(
                    f"{ENV_DUCKDB_PATH}={path} cannot be written: no write permission on {ancestor}; point "
                    f"{ENV_DUCKDB_PATH} at a file in a writable folder"
                )
            break


def default_start_date(today: date | None = None) -> date:
    """Without ``ZENDESK_START_DATE``: the last 90 days."""
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=DEFAULT_HISTORY_DAYS)


def parse_requests_per_minute(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_REQUESTS_PER_MINUTE
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            f"{ENV_REQUESTS_PER_MINUTE}={raw!r} is not a whole number: use 10 (default), 30 (High Volume "
            "add-on) or 0 (no client-side throttle, local simulator only)"
        ) from None
    if value < 0:
        raise SettingsError(f"{ENV_REQUESTS_PER_MINUTE} must be 0 or more, got {value}")
    return value


def parse_memory_limit(raw: str | None) -> str:
    """``ZD_DUCKDB_MEMORY_LIMIT`` in DuckDB's syntax (``512MB``, ``2GB``, ``1.5GiB``), normalised to ``512MB``."""
    if raw is None:
        return DEFAULT_DUCKDB_MEMORY_LIMIT
    match = _MEMORY_LIMIT.match(raw)
    if match is None or float(match.group(1)) <= 0:
        raise SettingsError(
            f"{ENV_DUCKDB_MEMORY_LIMIT}={raw!r} is not an amount of memory: write it as DuckDB does, e.g. 512MB or "
            f"2GB (default {DEFAULT_DUCKDB_MEMORY_LIMIT})"
        )
    return f"{match.group(1)}{match.group(2).upper().replace('I', 'i')}"


def parse_max_wait_minutes(raw: str | None) -> float:
    """How long (minutes) one request may wait for Zendesk in total: its ``Retry-After`` waits (maintenance windows,
    rate limits) and back-off. Past it the sync fails naming this variable; committed pages stay."""
    if raw is None:
        return DEFAULT_MAX_WAIT_MINUTES
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < 10_000:
        raise SettingsError(
            f"{ENV_MAX_WAIT_MINUTES}={raw!r} must be a number of minutes above 0, e.g. 15 (the default) or 60"
        )
    return value


def parse_reference_cron(raw: str | None) -> str:
    """The reference tables' refresh schedule: a five-field cron expression (UTC)."""
    if raw is None:
        return DEFAULT_REFERENCE_CRON
    fields = raw.split()
    if len(fields) != 5 or not all(re.fullmatch(r"[A-Za-z0-9*,/\-]+", f) for f in fields):
        raise SettingsError(f"{ENV_REFERENCE_CRON}={raw!r} is not a cron expression: e.g. '0 * * * *' (hourly)")
    return raw


def parse_list_requests_per_minute(raw: str | None, exports_raw: str | None) -> int:
    """The list endpoints' own budget; unset, it is off when the exports' throttle is off (a local simulator),
    else :data:`DEFAULT_LIST_REQUESTS_PER_MINUTE`."""
    if raw is None:
        return 0 if parse_requests_per_minute(exports_raw) == 0 else DEFAULT_LIST_REQUESTS_PER_MINUTE
    if not raw.isdigit():
        raise SettingsError(
            f"{ENV_LIST_REQUESTS_PER_MINUTE}={raw!r} must be a whole number >= 0: requests a minute the reference "
            f"lists may spend of the account-wide limit (default {DEFAULT_LIST_REQUESTS_PER_MINUTE}; 0: no throttle)"
        )
    return int(raw)


def parse_freshness_hours(raw: str | None) -> float:
    """How far (hours) a stream's high-water mark may lag behind now before its freshness check fails."""
    if raw is None:
        return DEFAULT_FRESHNESS_HOURS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise SettingsError(f"{ENV_FRESHNESS_HOURS}={raw!r} must be a number of hours above 0, e.g. 6 or 0.5")
    return value


def _positive_int(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(f"{name}={raw!r} must be a whole number of seconds above 0")
    return int(raw)


def parse_start_date(raw: str | None, today: date | None = None) -> date:
    """Parse ``ZENDESK_START_DATE`` (``YYYY-MM-DD``); a malformed or future date names the fix."""
    today = today or datetime.now(UTC).date()
    if raw is None:
        return default_start_date(today)
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{ENV_START_DATE}={raw!r} is not a date: write it as YYYY-MM-DD") from None
    if parsed > today:
        raise SettingsError(
            f"{ENV_START_DATE}={raw} is in the future (today is {today.isoformat()} UTC): "
            "choose a date on or before today"
        )
    return parsed
