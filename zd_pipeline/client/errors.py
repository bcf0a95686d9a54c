"""The client's errors: each names the stream, the URL (never with credentials) and what to fix.

Which failures are retried is decided in ``zd_pipeline.client.fetch``; everything raised from there is one of
these, so a caller can catch ``ZendeskError`` alone. :func:`error_for_response` turns a refused response (4xx,
a redirect) into the matching error, with Zendesk's own error text or the page's title, never a wall of HTML.
"""

from __future__ import annotations

import re

import httpx
import orjson

from zd_pipeline.catalogue import STREAMS


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


class FeatureNotOfferedError(PermissionDeniedError):
    """403 on an export the catalogue marks plan-gated (``Stream.plan_feature``): the account's Zendesk plan does not
    offer it. Not a failed sync: callers skip the stream and say so. Not retried.

    Assumption: Zendesk answers a feature outside the plan and a user without access with the same generic 403 body
    ("You do not have access to this page..."), so the body cannot tell them apart; the catalogue decides. A token
    that lacks the admin role is still caught, by the 403 on the exports every plan has (tickets, users...).
    """

    def __init__(self, message: str, *, stream: str, url: str, feature: str) -> None:
        self.feature = feature
        super().__init__(message, stream=stream, url=url)


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


# --- classifying a response -------------------------------------------------------------------------------


def error_for_response(
    response: httpx.Response, stream: str, url: str, credentials_fix: str | None = None
) -> ZendeskError:
    """The error a non-200, non-429, non-5xx response stands for; its message names the fix (for a 401,
    ``credentials_fix``: what to check for the kind of credentials sent)."""
    status = response.status_code
    detail = _zendesk_error_text(response)
    if status == 401:
        fix = credentials_fix or (
            "Zendesk rejected the credentials; check ZENDESK_EMAIL with ZENDESK_API_TOKEN (API-token access must be "
            "enabled in Admin Center) or ZENDESK_OAUTH_TOKEN"
        )
        return AuthenticationError(f"401 Unauthorized ({detail}): {fix}", stream=stream, url=url)
    feature = _plan_feature(stream)
    if status == 403 and feature is not None:
        return FeatureNotOfferedError(
            f"403 Forbidden ({detail}): this account's Zendesk plan does not offer this export (it needs "
            f"{feature.replace('_', '-')}, on the Enterprise plan); the other streams sync without it",
            stream=stream,
            url=url,
            feature=feature,
        )
    if status == 403:
        return PermissionDeniedError(
            f"403 Forbidden ({detail}): these credentials may not read this export; incremental exports need an "
            "admin user (routing exports also need the Enterprise plan)",
            stream=stream,
            url=url,
        )
    if status == 404:
        return NotFoundError(
            f"404 Not Found ({detail}): check ZENDESK_SUBDOMAIN / ZENDESK_BASE_URL, and that this account has the "
            "endpoint (skill-based routing exports need Enterprise)",
            stream=stream,
            url=url,
        )
    if 300 <= status < 400:
        return InvalidResponseError(
            f"HTTP {status} redirect to {response.headers.get('location', '?')!r}; redirects are not followed "
            "(credentials stay on the configured host): fix base_url/subdomain",
            stream=stream,
            url=url,
        )
    return BadRequestError(f"HTTP {status}: Zendesk says: {detail}", stream=stream, url=url)


def _plan_feature(stream: str) -> str | None:
    entry = STREAMS.get(stream)
    return None if entry is None else entry.plan_feature


def _zendesk_error_text(response: httpx.Response) -> str:
    """Zendesk's error text (``{"error": ..., "description": ...}`` and variants), else a body snippet."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return html_title(response.content) or snippet(response.content) or "empty body"
    if isinstance(body, dict):
        parts = [body.get(key) for key in ("error", "description", "details", "errors")]
        text = " - ".join(
            p if isinstance(p, str) else orjson.dumps(p).decode() for p in parts if p not in (None, "", [], {})
        )
        if text:
            return text[:500]
    return snippet(response.content)


def html_title(content: bytes) -> str | None:
    """``an HTML page ("Title")`` when the body is HTML (a web site, a login or error page), else ``None``."""
    text = content[:4096].decode("utf-8", "replace")
    if not text.lstrip().lower().startswith(("<!doctype html", "<html")):
        return None
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    title = " ".join(match.group(1).split())[:80] if match else ""
    return f"an HTML page ({title!r})" if title else "an HTML page"


def snippet(content: bytes, limit: int = 120) -> str:
    return content[:limit].decode("utf-8", "replace").strip()
