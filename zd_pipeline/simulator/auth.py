"""Which credentials the simulator accepts, and the check of an ``Authorization`` header.

Zendesk API-token auth is HTTP Basic with ``{email}/token:{api_token}``; OAuth is ``Bearer {token}``. Anything
else is a 401 with ``{"error": "Couldn't authenticate you"}``. By default the simulator accepts what the
``ZENDESK_*`` environment variables hold when any of them is set (so one environment drives both ends), else the
public demo credentials from :mod:`zd_pipeline.settings`. Secrets never appear in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from zd_pipeline import settings


@dataclass(frozen=True)
class Credentials:
    """Accepted credentials; a missing part disables that scheme."""

    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)

    @classmethod
    def demo(cls) -> Credentials:
        return cls(settings.DEMO_EMAIL, settings.DEMO_API_TOKEN, settings.DEMO_OAUTH_TOKEN)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        values = [
            (env.get(name) or "").strip() or None
            for name in (settings.ENV_EMAIL, settings.ENV_API_TOKEN, settings.ENV_OAUTH_TOKEN)
        ]
        if not any(values):
            return cls.demo()
        return cls(*values)

    @property
    def is_demo(self) -> bool:
        return self == Credentials.demo()

    def accepts(self, authorization: str | None) -> bool:
        """True when the ``Authorization`` header carries these credentials."""
        if not authorization:
            return False
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.oauth_token:
            return hmac.compare_digest(value.encode(), self.oauth_token.encode())
        if scheme.lower() == "basic" and self.email and self.api_token:
            try:
                decoded = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return False
            expected = f"{self.email}/token:{self.api_token}".encode()
            return hmac.compare_digest(decoded, expected)
        return False
