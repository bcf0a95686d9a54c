"""One export page over HTTP: throttle, send, classify, retry. Knows nothing of pagination.

What is retried and what is not (Zendesk's documented behaviour plus our assumptions):

- 429 and every 5xx carrying ``Retry-After`` (Zendesk's maintenance windows answer 503 with it for minutes):
  nothing is sent to the endpoint again before the longest wait the header names has passed (every form servers
  send: see :mod:`retry_after`). Waits the server named do not spend ``max_retries`` (a long storm is normal when
  other integrations share the account's budget); ``max_rate_limit_waits`` of them per request is one bound,
  ``max_wait`` (``ZENDESK_MAX_WAIT_MINUTES``) the other: the total time one request may spend waiting, after
  which it fails naming that setting, at once when the server names a wait beyond what is left.
- 5xx without ``Retry-After``, timeouts, connection errors and resets, and a JSON body that does not parse
  (Zendesk and proxies sometimes cut bodies short): retry with exponential back-off and jitter, at most
  ``max_retries`` times per page; these waits count towards ``max_wait`` too. After a timeout the caller's
  ``PageSize`` is halved, as the reference recommends ("progressively back off on per_page after each time out").
- 401, 403, 404, 400 and other 4xx, redirects, and a 200 that is not JSON (an HTML login or error page):
  raised at once, because repeating the same request cannot fix them.

Credentials travel only in the ``Authorization`` header, and only to the configured origin: every URL is
checked before it is sent. A next-page link is followed on the configured base whatever host it names (see
:meth:`Fetcher.follow_link`), and refused with ``ForeignHostError`` if it leads outside the export being paged.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

import httpx
import msgspec
import orjson

from zd_pipeline.client.config import ClientConfig
from zd_pipeline.client.errors import (
    AuthenticationError,
    InvalidResponseError,
    RetriesExhaustedError,
    error_for_response,
    html_title,
    snippet,
)
from zd_pipeline.client.links import check_same_origin, follow_link
from zd_pipeline.client.oauth import Authorizer, RefreshError
from zd_pipeline.client.retry_after import retry_after_seconds
from zd_pipeline.client.stats import ClientStats
from zd_pipeline.client.throttle import SlidingWindowThrottle
from zd_pipeline.clock import Clock
from zd_pipeline.settings import ENV_MAX_WAIT_MINUTES

logger = logging.getLogger(__name__)
MIN_PAGE_SIZE = 10  # halving stops here (or at the configured size if smaller): tiny pages only multiply requests
# A page body: each top-level value's JSON text, validated but not parsed (the client parses what it reads).
_BODY = msgspec.json.Decoder(dict[str, msgspec.Raw])


@dataclass
class PageSize:
    """``per_page`` for one export iteration: halved after a timeout, doubled back after each good page."""

    configured: int
    current: int = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.configured

    @property
    def floor(self) -> int:
        return min(self.configured, MIN_PAGE_SIZE)

    def after_timeout(self) -> None:
        self.current = max(self.floor, self.current // 2)

    def after_success(self) -> None:
        self.current = min(self.configured, self.current * 2)


@dataclass(frozen=True)
class PageRequest:
    """A GET to send: ``url`` without query, its ``params``, and the ``endpoint`` whose rate budget it spends."""

    stream: str
    endpoint: str
    url: str
    params: dict[str, str | int]


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` overrides the back-off when the server named a wait."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        timeout: bool = False,
        rate_limited: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.timeout = timeout
        self.rate_limited = rate_limited
        self.unreachable = unreachable
        self.at = 0.0  # clock time the failure was seen (set by the fetcher)


class Fetcher:
    """Sends export requests for one client; thread-safe (httpx.Client is, and the throttle and stats lock)."""

    def __init__(
        self,
        config: ClientConfig,
        clock: Clock,
        stats: ClientStats,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._stats = stats
        self._rng = rng or random.Random()
        self._throttle = SlidingWindowThrottle(config.requests_per_minute, clock)
        self._origin = httpx.URL(config.origin)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=False,
            headers={"User-Agent": config.user_agent, "Accept": "application/json"},
        )
        self._auth = Authorizer(config.auth, self._origin, self._http, clock)

    def close(self) -> None:
        self._http.close()

    def url_for(self, path: str) -> str:
        """The absolute URL of an export path under the configured base (keeping any path prefix)."""
        return str(self._origin.copy_with(path=self._origin.path.rstrip("/") + path))

    def check_same_origin(self, url: str, *, stream: str, current_url: str) -> httpx.URL:
        """See :func:`links.check_same_origin`: checked on every URL before it is sent."""
        return check_same_origin(self._origin, url, stream=stream, current_url=current_url)

    def follow_link(self, link: str, *, stream: str, path: str, current_url: str) -> str:
        """See :func:`links.follow_link`: a next-page link's path and query on the configured base."""
        return follow_link(self._origin, link, stream=stream, path=path, current_url=current_url)

    def get(self, request: PageRequest, page_size: PageSize | None = None) -> tuple[dict[str, msgspec.Raw], str]:
        """GET one page and return its JSON object (each value's text, unparsed) and the URL sent. Retries
        transient failures."""
        retries = waits = 0
        waited = 0.0
        while True:
            params = dict(request.params)
            if page_size is not None:
                params["per_page"] = page_size.current
            url = str(httpx.URL(request.url, params=params))
            self.check_same_origin(url, stream=request.stream, current_url=url)
            with self._throttle.slot(request.endpoint):
                self._stats.add(request.stream, "requests")
                try:
                    return self._send_once(url, request.stream), url
                except _Transient as transient:
                    failure = transient
                    failure.at = self._clock.now()
            # Out of the endpoint's slot: another thread's request may go while this one backs off.
            told_to_wait = failure.retry_after is not None
            self._check_budget(failure, request, url, retries=retries, waits=waits)
            if told_to_wait:
                waits += 1
            else:
                retries += 1
            self._stats.add(request.stream, "retries")
            if failure.timeout and page_size is not None:
                page_size.after_timeout()
            wait = failure.retry_after if failure.retry_after is not None else self._backoff(retries)
            wait = max(0.0, failure.at + wait - self._clock.now())  # measured from when the answer came
            if waited + wait > self._config.max_wait:
                raise self._waited_too_long(failure, request, url, waited, wait)
            logger.warning(
                "%s: %s; retry %d of %d in %.1f s (GET %s)",
                request.stream,
                failure.reason,
                waits if told_to_wait else retries,
                self._config.max_rate_limit_waits if told_to_wait else self._config.max_retries,
                wait,
                url,
            )
            self._clock.sleep(wait)
            waited += wait

    def _check_budget(self, failure: _Transient, request: PageRequest, url: str, *, retries: int, waits: int) -> None:
        """Raise ``RetriesExhaustedError`` when ``failure`` is one too many for its budget."""
        if failure.retry_after is not None and waits >= self._config.max_rate_limit_waits:
            what = "responses with Retry-After"
            if failure.rate_limited:
                what = "rate-limit responses (429 with Retry-After)"
            raise RetriesExhaustedError(
                f"gave up after waiting out {waits} {what}: the account's "
                "API budget is used up by other integrations too; lower ZENDESK_REQUESTS_PER_MINUTE or sync "
                "when the account is quieter",
                stream=request.stream,
                url=url,
            )
        if failure.retry_after is None and retries >= self._config.max_retries:
            advice = (
                f"Nothing answers at {self._origin.host}: check ZENDESK_SUBDOMAIN / ZENDESK_BASE_URL and the "
                "network, then retry"
                if failure.unreachable
                else "Zendesk or the network is failing persistently: retry later, or raise max_retries/timeout"
            )
            raise RetriesExhaustedError(
                f"gave up after {retries + waits + 1} attempts; last failure: {failure.reason}. {advice}",
                stream=request.stream,
                url=url,
            )

    def _waited_too_long(
        self, failure: _Transient, request: PageRequest, url: str, waited: float, wait: float
    ) -> RetriesExhaustedError:
        limit = self._config.max_wait / 60
        return RetriesExhaustedError(
            f"gave up: {failure.reason} asks to wait {wait:.0f} s more after {waited / 60:.1f} min of waiting for "
            f"this request, beyond {ENV_MAX_WAIT_MINUTES}={limit:g} (minutes one request may wait): Zendesk is "
            f"in maintenance or overloaded; sync again later (committed pages are kept), or raise "
            f"{ENV_MAX_WAIT_MINUTES}",
            stream=request.stream,
            url=url,
        )

    def _backoff(self, retry: int) -> float:
        """Exponential back-off with equal jitter: half the step fixed, half random, so threads spread out."""
        step = min(self._config.backoff_max, self._config.backoff_base * 2 ** (retry - 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    def _send_once(self, url: str, stream: str) -> dict[str, msgspec.Raw]:
        try:
            response = self._authorized_get(url)
        except RefreshError as exc:
            if exc.permanent:
                raise AuthenticationError(str(exc), stream=stream, url=url) from None
            raise _Transient(f"OAuth token refresh: {exc}") from None
        except httpx.TimeoutException as exc:
            self._stats.add(stream, "timeouts")
            raise _Transient(f"timed out after {self._config.timeout}s ({type(exc).__name__})", timeout=True) from None
        except httpx.ConnectError as exc:  # refused, or the name does not resolve: nothing was sent
            raise _Transient(f"cannot connect ({type(exc).__name__}: {exc})", unreachable=True) from None
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__}: {exc})") from None
        status = response.status_code
        if status == 200:
            return self._parse(response, stream, url)
        if status == 429:
            self._stats.add(stream, "responses_429")
            raise _Transient("429 Too Many Requests", retry_after=self._retry_after(response), rate_limited=True)
        if status >= 500:
            raise _Transient(f"HTTP {status} from Zendesk", retry_after=self._retry_after(response))
        raise error_for_response(response, stream, url, credentials_fix=self._auth.fix)

    def _authorized_get(self, url: str) -> httpx.Response:
        """GET with the current credentials; an expiring OAuth token refused with 401 is refreshed and sent once
        more (see :mod:`oauth`)."""
        sent = self._auth.header()
        response = _unbound(self._http.get(url, headers={"Authorization": sent}))
        if response.status_code == 401 and self._auth.refreshing:
            response = _unbound(self._http.get(url, headers={"Authorization": self._auth.after_unauthorized(sent)}))
        return response

    def _retry_after(self, response: httpx.Response) -> float | None:
        return retry_after_seconds(response.headers.get_list("retry-after"), self._clock.now())

    def _parse(self, response: httpx.Response, stream: str, url: str) -> dict[str, msgspec.Raw]:
        content_type = response.headers.get("content-type", "")
        if content_type and "json" not in content_type.lower():
            body = html_title(response.content) or repr(snippet(response.content))
            raise InvalidResponseError(
                f"expected a JSON export page, got {content_type!r} ({body}): this is "
                "not the Zendesk API; set ZENDESK_SUBDOMAIN to the account's subdomain (acme for "
                "https://acme.zendesk.com) or ZENDESK_BASE_URL to its URL",
                stream=stream,
                url=url,
            )
        try:
            return _BODY.decode(response.content)
        except msgspec.ValidationError:
            kind = type(orjson.loads(response.content)).__name__  # valid JSON (msgspec read it), not an object
            raise InvalidResponseError(f"expected a JSON object, got {kind}", stream=stream, url=url) from None
        except msgspec.DecodeError:
            raise _Transient(f"truncated or invalid JSON body ({len(response.content)} bytes)") from None


def _unbound(response: httpx.Response) -> httpx.Response:
    """``response`` (body read, stream closed) without its reference cycle.

    httpx 0.28 binds each response's stream back to the response (``BoundSyncStream._response``), a cycle that only
    Python's cyclic garbage collector frees, with the ~1 MB body of an export page inside (encode/httpx#3733). The
    closed stream is swapped for a plain one over the same bytes, so the page is freed as soon as it is dropped.
    """
    response.stream = httpx.ByteStream(response.content)
    return response
