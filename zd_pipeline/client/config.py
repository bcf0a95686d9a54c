"""Client configuration and credentials, validated on construction so a bad value fails before any request.

Secrets live in fields excluded from ``repr`` (and ``str``, which dataclasses derive from ``repr``), so printing
a config, an auth object or an exception never shows a token.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_PER_PAGE = 1000  # Zendesk's documented maximum for incremental exports.
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ApiTokenAuth:
    """Zendesk API-token auth: HTTP Basic with user ``{email}/token`` and the token as password."""

    email: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.email, str) or "@" not in self.email or self.email != self.email.strip():
            raise ValueError("ApiTokenAuth.email must be the agent's email address (e.g. admin@example.com)")
        if not isinstance(self.token, str) or not self.token.strip():
            raise ValueError("ApiTokenAuth.token is empty: set it to a Zendesk API token (ZENDESK_API_TOKEN)")

    def header(self) -> str:
        """The ``Authorization`` header value."""
        raw = f"{self.email}/token:{self.token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class OAuthAuth:
    """OAuth access-token auth: ``Authorization: Bearer {token}``."""

    token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not self.token.strip():
            raise ValueError("OAuthAuth.token is empty: set it to an OAuth access token (ZENDESK_OAUTH_TOKEN)")

    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.token}"


@dataclass(frozen=True)
class OAuthRefreshAuth:
    """OAuth with expiring access tokens: ``client_id``, ``client_secret`` and a ``refresh_token`` get new ones
    (see :mod:`zd_pipeline.client.oauth`); ``access_token``, if given, is used until it is refused or replaced."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name, variable in (
            ("client_id", "ZENDESK_OAUTH_CLIENT_ID"),
            ("client_secret", "ZENDESK_OAUTH_CLIENT_SECRET"),
            ("refresh_token", "ZENDESK_OAUTH_REFRESH_TOKEN"),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"OAuthRefreshAuth.{name} is empty: set {variable}")


Auth = ApiTokenAuth | OAuthAuth | OAuthRefreshAuth


@dataclass(frozen=True)
class ClientConfig:
    """Everything the client needs; exactly one of ``base_url`` or ``subdomain``.

    - ``base_url``: an explicit ``http(s)://host[:port]`` (the simulator); ``subdomain`` gives
      ``https://{subdomain}.zendesk.com``. The resolved ``origin`` is the only host credentials are sent to.
    - ``per_page``: 1..1000, halved after a timeout and restored as pages succeed.
    - ``requests_per_minute``: the client's own budget per export endpoint (10 by default, 30 with the High Volume
      add-on); 0 turns the client's throttle off (429s are still honoured).
    - ``timeout``: seconds per request; ``max_retries``: retries per request for transient failures.
    - ``max_rate_limit_waits``: 429s that named their wait (``Retry-After``) a request may sit out. They do not
      spend ``max_retries``: waiting is exactly what Zendesk asks for, and a storm caused by another integration
      sharing the account's budget can outlast six retries without anything being wrong.
    - ``max_wait``: seconds one request may spend waiting in total (``Retry-After`` and back-off), then it fails
      naming ``ZENDESK_MAX_WAIT_MINUTES``; 15 minutes by default, longer than Zendesk's usual maintenance window.
    - ``backoff_base`` / ``backoff_max``: the exponential back-off's first step and ceiling, in seconds.
    """

    base_url: str | None = None
    subdomain: str | None = None
    auth: Auth | None = None
    per_page: int = MAX_PER_PAGE
    requests_per_minute: int = 10
    timeout: float = 30.0
    max_retries: int = 6
    max_rate_limit_waits: int = 100
    max_wait: float = 900.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    user_agent: str = "zd-pipeline/0.1"

    def __post_init__(self) -> None:
        if (self.base_url is None) == (self.subdomain is None):
            raise ValueError(
                "ClientConfig needs exactly one of base_url or subdomain (ZENDESK_BASE_URL or ZENDESK_SUBDOMAIN)"
            )
        if self.base_url is not None:
            _check_base_url(self.base_url)
        if self.subdomain is not None and not (isinstance(self.subdomain, str) and _SUBDOMAIN.match(self.subdomain)):
            raise ValueError(
                f"ClientConfig.subdomain={self.subdomain!r} is not a Zendesk subdomain: give only the first label, "
                "e.g. 'acme' for https://acme.zendesk.com"
            )
        if not isinstance(self.auth, ApiTokenAuth | OAuthAuth | OAuthRefreshAuth):
            raise ValueError(
                "ClientConfig.auth must be ApiTokenAuth(email, token), OAuthAuth(token) or "
                "OAuthRefreshAuth(client_id, client_secret, refresh_token)"
            )
        per_page = self.per_page
        if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(
                f"per_page={self.per_page!r} is out of range: Zendesk's incremental exports serve 1 to {MAX_PER_PAGE} "
                f"records a page; use {MAX_PER_PAGE} (the default) unless pages time out"
            )
        _check_int("requests_per_minute", self.requests_per_minute, 0, None)
        _check_int("max_retries", self.max_retries, 0, 100)
        _check_int("max_rate_limit_waits", self.max_rate_limit_waits, 0, 10_000)
        for name in ("timeout", "backoff_base", "backoff_max", "max_wait"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"ClientConfig.{name} must be a positive number of seconds, got {value!r}")

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` with any path prefix of ``base_url``, without a trailing slash."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return f"https://{self.subdomain}.zendesk.com"


def _check_base_url(base_url: object) -> None:
    if not isinstance(base_url, str):
        raise ValueError(f"ClientConfig.base_url must be a string URL, got {type(base_url).__name__}")
    parts = urlsplit(base_url)
    # Checked first, so that no later message echoes a URL holding a password.
    if parts.username is not None or parts.password is not None:
        raise ValueError("ClientConfig.base_url must not carry credentials; use auth=ApiTokenAuth/OAuthAuth instead")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError(f"ClientConfig.base_url={base_url!r} has an invalid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"ClientConfig.base_url={base_url!r} must look like https://host or http://127.0.0.1:8765")
    if parts.query or parts.fragment:
        raise ValueError(f"ClientConfig.base_url={base_url!r} must not have a query or fragment")


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"ClientConfig.{name} must be a whole number {bound}, got {value!r}")
