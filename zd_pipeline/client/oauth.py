"""Expiring OAuth access tokens, refreshed with a refresh token: before they expire, and once on a 401.

Zendesk's refresh-token grant (``docs/zendesk-api.md`` says what this relies on): ``POST /oauth/tokens`` with
``grant_type=refresh_token``, the refresh token, ``client_id`` and ``client_secret`` answers a new
``access_token`` with its ``expires_in`` and a new ``refresh_token``, and deletes the previous access and refresh
tokens (rotation). So:

- The token endpoint is asked on the configured base (a proxy forwards it like any API call): credentials go to
  no other host.
- One :class:`TokenSource` per (base, client, refresh token) per process, shared by every client built from the
  same environment (the sync's streams page in threads, each with its own client): two sources refreshing one
  refresh token would revoke each other's. A refresh happens under a lock, once, whichever thread needs it.
- The rotated refresh token is held in memory only, never written anywhere (the project writes no secret). A
  new process starts again from ``ZENDESK_OAUTH_REFRESH_TOKEN``; once a process has refreshed, Zendesk has
  revoked that value, and the next process's refresh fails naming the variable (see the README).
- A token is refreshed when a minute or less of its life is left (Zendesk's shortest is five minutes), and when
  the API answers 401 to the token just sent (revoked early). A 401 to a token already replaced by another
  thread's refresh is simply sent again with the new one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

from zd_pipeline.clock import Clock

TOKEN_PATH = "/oauth/tokens"
ENV_CLIENT_ID = "ZENDESK_OAUTH_CLIENT_ID"
ENV_CLIENT_SECRET = "ZENDESK_OAUTH_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "ZENDESK_OAUTH_REFRESH_TOKEN"
REFRESH_VARIABLES = f"{ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and {ENV_REFRESH_TOKEN}"


class RefreshError(Exception):
    """The token endpoint refused the refresh (``permanent``) or failed on the way (a 5xx, a reset)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class _Token:
    header: str
    expires_at: float | None  # clock time; None: the server named no expiry


class TokenSource:
    """The current ``Authorization`` header of one OAuth client; thread-safe."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, access_token: str | None) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._token = _Token(f"Bearer {access_token}", None) if access_token else None
        self._lock = threading.Lock()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenSource(refreshes={self.refreshes})"

    def header(self, post: Callable[[dict[str, str]], httpx.Response], clock: Clock) -> str:
        """The header to send now, refreshed first when the token is missing or about to expire."""
        with self._lock:
            token = self._token
            if token is None or _expiring(token, clock.now()):
                token = self._refresh(post, clock)
            return token.header

    def after_unauthorized(self, sent: str, post: Callable[[dict[str, str]], httpx.Response], clock: Clock) -> str:
        """A 401 answered ``sent``: the header to try once more (refreshed unless another thread already did)."""
        with self._lock:
            if self._token is not None and self._token.header != sent:
                return self._token.header
            return self._refresh(post, clock).header

    def _refresh(self, post: Callable[[dict[str, str]], httpx.Response], clock: Clock) -> _Token:
        body = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = post(body)
        except httpx.TransportError as exc:
            raise RefreshError(f"the token endpoint failed ({type(exc).__name__})", permanent=False) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise RefreshError(f"the token endpoint answered HTTP {response.status_code}", permanent=False)
        answer = _json(response.content)
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        if response.status_code != 200 or not isinstance(access, str) or not access:
            error = answer.get("error") if isinstance(answer.get("error"), str) else f"HTTP {response.status_code}"
            raise RefreshError(
                f"Zendesk refused to refresh the OAuth access token ({error}): check {REFRESH_VARIABLES}; Zendesk "
                f"revokes a refresh token once it has been used, so after a sync has refreshed, set "
                f"{ENV_REFRESH_TOKEN} to a newly issued one",
                permanent=True,
            )
        if isinstance(refresh, str) and refresh:
            self._refresh_token = refresh  # rotated: the one used is revoked now
        expires_in = answer.get("expires_in")
        expires_at = clock.now() + expires_in if isinstance(expires_in, int | float) and expires_in > 0 else None
        self._token = _Token(f"Bearer {access}", expires_at)
        self.refreshes += 1
        return self._token


def _expiring(token: _Token, now: float) -> bool:
    if token.expires_at is None:
        return False
    return token.expires_at - now <= 60.0


def _json(content: bytes) -> dict:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


_SOURCES: dict[tuple[str, str, str], TokenSource] = {}
_SOURCES_LOCK = threading.Lock()


def shared_source(
    origin: str, client_id: str, client_secret: str, refresh_token: str, access_token: str | None
) -> TokenSource:
    """The process's one :class:`TokenSource` for this base, client and initial refresh token."""
    key = (origin, client_id, hashlib.sha256(refresh_token.encode()).hexdigest())
    with _SOURCES_LOCK:
        source = _SOURCES.get(key)
        if source is None:
            source = _SOURCES[key] = TokenSource(client_id, client_secret, refresh_token, access_token)
        return source


class Authorizer:
    """The ``Authorization`` header a fetcher sends: fixed for API tokens and plain OAuth tokens, from the shared
    :class:`TokenSource` for :class:`~zd_pipeline.client.config.OAuthRefreshAuth`. ``fix`` is what a 401's
    message tells the user to fix."""

    def __init__(self, auth: object, origin: httpx.URL, http: httpx.Client, clock: Clock) -> None:
        from zd_pipeline.client.config import ApiTokenAuth, OAuthRefreshAuth

        self._clock = clock
        self._source: TokenSource | None = None
        self._static: str | None = None
        if isinstance(auth, OAuthRefreshAuth):
            self._source = shared_source(
                str(origin), auth.client_id, auth.client_secret, auth.refresh_token, auth.access_token
            )
            token_url = origin.copy_with(path=origin.path.rstrip("/") + TOKEN_PATH)
            self._post: Callable[[dict[str, str]], httpx.Response] = lambda body: http.post(token_url, json=body)
            self.fix = (
                f"the refreshed OAuth access token was refused too: check {REFRESH_VARIABLES} and the OAuth "
                "client's scopes (read)"
            )
        else:
            self._static = auth.header()  # type: ignore[attr-defined]
            self.fix = (
                "Zendesk rejected the credentials; check ZENDESK_EMAIL with ZENDESK_API_TOKEN (API-token access "
                "must be enabled in Admin Center)"
                if isinstance(auth, ApiTokenAuth)
                else "Zendesk rejected the OAuth access token in ZENDESK_OAUTH_TOKEN (expired or revoked): set "
                f"ZENDESK_OAUTH_TOKEN to a valid token, or set {REFRESH_VARIABLES} to have it refreshed"
            )

    def __repr__(self) -> str:
        return f"Authorizer(refreshing={self._source is not None})"

    @property
    def refreshing(self) -> bool:
        return self._source is not None

    def header(self) -> str:
        if self._source is None:
            assert self._static is not None
            return self._static
        return self._source.header(self._post, self._clock)

    def after_unauthorized(self, sent: str) -> str:
        assert self._source is not None
        return self._source.after_unauthorized(sent, self._post, self._clock)
