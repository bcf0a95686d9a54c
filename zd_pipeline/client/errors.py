"""The client's errors: each names the stream, the URL (never with credentials) and what to fix.

Which failures are retried is decided in ``zd_pipeline.client.fetch``; everything raised from there is one of
these, so a caller can catch ``ZendeskError`` alone.
"""

from __future__ import annotations


class ZendeskError(Exception):
    """Base of every client error. ``stream`` and ``url`` say where it happened; the message says the fix.

    ``url`` is the request URL without credentials (credentials only ever travel in the ``Authorization``
    header, never in a URL, so there is nothing to strip).
    """

    def __init__(self, message: str, *, stream: str, url: str) -> None:
        self.stream = stream
        self.url = url
        super().__init__(f"{message} [stream {stream!r}, GET {url}]")


class AuthenticationError(ZendeskError):
    """401: Zendesk rejected the credentials. Not retried."""


class PermissionDeniedError(ZendeskError):
    """403: the credentials are valid but may not read this export (incremental exports need an admin). Not retried."""


class NotFoundError(ZendeskError):
    """404: wrong subdomain/base URL, or an endpoint this account does not have (routing needs Enterprise)."""


class BadRequestError(ZendeskError):
    """400 (or another 4xx): Zendesk refused the request; the message carries Zendesk's own error text."""


class ForeignHostError(ZendeskError):
    """A ``next_page`` / ``after_url`` points away from the configured base; nothing was sent there."""


class InvalidResponseError(ZendeskError):
    """A response that is not an export page of the expected shape (HTML, missing key, records without id...)."""


class RetriesExhaustedError(ZendeskError):
    """Transient failures (5xx, 429, timeouts, resets, truncated JSON) outlasted the retry budget."""
