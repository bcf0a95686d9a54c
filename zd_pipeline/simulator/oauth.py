"""Expiring OAuth tokens and Zendesk's token endpoint (``POST /oauth/tokens``, ``grant_type=refresh_token``).

As Zendesk documents it: the request carries ``refresh_token``, ``client_id`` and ``client_secret`` (JSON or a
form); a success answers ``access_token``, ``token_type`` ``bearer``, ``scope``, ``expires_in`` and a new
``refresh_token`` with ``refresh_token_expires_in``, and deletes the previous access and refresh tokens (rotation).
A refused refresh is a 400 ``{"error": "invalid_grant"}`` (an unknown client or secret: 401 ``invalid_client``).
Access tokens expire ``access_ttl`` seconds after issue on the simulator's clock. Secrets never appear in ``repr``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from zd_pipeline.clock import Clock


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client of the account and the refresh token first issued to it."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_ttl: float = 1800.0  # Zendesk's default: 30 minutes
    refresh_ttl: float = 30 * 86400.0  # and 30 days


class TokenIssuer:
    """Issues, rotates, expires and checks the tokens of one :class:`OAuthClient`; thread-safe."""

    def __init__(self, client: OAuthClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.refreshes = 0
        self._access: dict[str, float] = {}
        self._refresh: dict[str, float] = {client.refresh_token: clock.now() + client.refresh_ttl}
        self._revoke_after: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer(client_id={self.client.client_id!r}, refreshes={self.refreshes})"

    def accepts(self, access_token: str) -> bool:
        with self._lock:
            expires_at = self._access.get(access_token)
            if expires_at is None or self.clock.now() >= expires_at:
                return False
            if self._revoke_after is not None:
                self._revoke_after -= 1
                if self._revoke_after < 0:
                    self._revoke_after = None
                    self._access.clear()
                    return False
            return True

    def revoke_access_tokens_after(self, requests: int) -> None:
        """After ``requests`` more accepted requests, every access token issued so far stops working, long before
        it expires (a revocation): the next request is refused with 401."""
        with self._lock:
            self._revoke_after = requests

    def grant(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The token endpoint's answer (status, JSON body) to a request ``body``."""
        client = self.client
        if body.get("client_id") != client.client_id or body.get("client_secret") != client.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if body.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Use refresh_token"}
        now = self.clock.now()
        with self._lock:
            expires_at = self._refresh.pop(str(body.get("refresh_token")), None)
            if expires_at is None or now >= expires_at:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "The provided refresh token is invalid, expired or revoked",
                }
            self._access.clear()  # the previous access token is deleted with its refresh token
            access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            self._access[access] = now + client.access_ttl
            self._refresh[refresh] = now + client.refresh_ttl
            self.refreshes += 1
        return 200, {
            "access_token": access,
            "token_type": "bearer",
            "scope": "read",
            "expires_in": int(client.access_ttl),
            "refresh_token": refresh,
            "refresh_token_expires_in": int(client.refresh_ttl),
        }
