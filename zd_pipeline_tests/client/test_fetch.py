"""One request's fate: what is retried, what raises at once, and that credentials stay home."""

from collections.abc import Callable

import httpx
import msgspec
import orjson
import pytest

from zd_pipeline.client import (
    ApiTokenAuth,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    ClientStats,
    ForeignHostError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RetriesExhaustedError,
)
from zd_pipeline.client.fetch import Fetcher, PageRequest, PageSize
from zd_pipeline.clock import ManualClock

ORIGIN = "https://acme.zendesk.com"
TOKEN = "tok-SECRET-123"
PATH = "/api/v2/incremental/organizations.json"
OK = {"organizations": [], "count": 0, "end_time": 1, "end_of_stream": True}


def parsed(body: dict[str, msgspec.Raw]) -> dict:
    """The page as parsed JSON: the fetcher hands each top-level value's text over unparsed."""
    return {name: orjson.loads(memoryview(text)) for name, text in body.items()}


def _fetcher(handler: Callable[[httpx.Request], httpx.Response], **config) -> tuple[Fetcher, ManualClock, ClientStats]:
    clock = ManualClock(1_000_000.0)
    stats = ClientStats()
    cfg = ClientConfig(base_url=ORIGIN, auth=ApiTokenAuth("a@example.com", TOKEN), **config)
    return Fetcher(cfg, clock, stats, transport=httpx.MockTransport(handler)), clock, stats


def _request(fetcher: Fetcher) -> PageRequest:
    return PageRequest("organizations", PATH, fetcher.url_for(PATH), {"start_time": 5})


def _script(*responses: httpx.Response | Exception) -> tuple[Callable, list[httpx.Request]]:
    """A handler answering with ``responses`` in turn (the last one repeats); exceptions are raised."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


@pytest.mark.parametrize(
    ("status", "error", "fix"),
    [
        (401, AuthenticationError, "ZENDESK_API_TOKEN"),
        (403, PermissionDeniedError, "admin"),
        (404, NotFoundError, "ZENDESK_SUBDOMAIN"),
        (400, BadRequestError, "start_time is too recent"),
        (422, BadRequestError, "start_time is too recent"),
    ],
)
def test_client_errors_raise_at_once_naming_the_fix_stream_and_url(status, error, fix) -> None:
    body = {"error": "InvalidValue", "description": "start_time is too recent"}
    handler, seen = _script(httpx.Response(status, json=body))
    fetcher, _, stats = _fetcher(handler)
    with pytest.raises(error, match=fix) as info:
        fetcher.get(_request(fetcher))
    message = str(info.value)
    assert len(seen) == 1 and stats.retries == 0
    assert "'organizations'" in message and f"{ORIGIN}{PATH}?start_time=5" in message
    assert TOKEN not in message and TOKEN not in repr(info.value)


def test_server_errors_are_retried_with_growing_jittered_backoff() -> None:
    handler, seen = _script(httpx.Response(500), httpx.Response(503), httpx.Response(200, json=OK))
    fetcher, clock, stats = _fetcher(handler, backoff_base=2.0)
    body, url = fetcher.get(_request(fetcher))
    assert parsed(body) == OK and url.endswith("start_time=5")
    assert len(seen) == 3 and stats.retries == 2 and stats.requests == 3
    assert 1.0 + 2.0 <= clock.now() - 1_000_000.0 <= 2.0 + 4.0  # two steps of 2 s and 4 s, each half-jittered


def test_retries_are_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = _script(httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(200, json=OK))
    fetcher, _, _ = _fetcher(handler)
    with caplog.at_level("WARNING", logger="zd_pipeline.client"):
        fetcher.get(_request(fetcher))
    assert "organizations: HTTP 503 from Zendesk; retry 2 of 6" in caplog.text
    assert "ConnectError" in caplog.text and TOKEN not in caplog.text


def test_retries_are_bounded() -> None:
    handler, seen = _script(httpx.Response(502))
    fetcher, _, _ = _fetcher(handler, max_retries=3)
    with pytest.raises(RetriesExhaustedError, match="4 attempts; last failure: HTTP 502"):
        fetcher.get(_request(fetcher))
    assert len(seen) == 4


def test_429_waits_retry_after() -> None:
    handler, _ = _script(httpx.Response(429, headers={"Retry-After": "17"}), httpx.Response(200, json=OK))
    fetcher, clock, stats = _fetcher(handler)
    fetcher.get(_request(fetcher))
    assert clock.now() - 1_000_000.0 == 17.0
    assert stats.responses_429 == 1 and stats.retries == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.Response(200, content=b'{"organizations": [{"id": 1', headers={"content-type": "application/json"}),
    ],
    ids=["connect", "reset", "truncated-json"],
)
def test_transient_failures_are_retried(failure) -> None:
    handler, seen = _script(failure, httpx.Response(200, json=OK))
    fetcher, _, stats = _fetcher(handler)
    assert parsed(fetcher.get(_request(fetcher))[0]) == OK
    assert len(seen) == 2 and stats.retries == 1


def test_timeout_halves_per_page_down_to_a_floor_and_success_restores_it() -> None:
    timeout = httpx.ReadTimeout("slow")
    handler, seen = _script(timeout, timeout, timeout, timeout, timeout, timeout, httpx.Response(200, json=OK))
    fetcher, _, stats = _fetcher(handler, per_page=100, max_retries=6)
    size = PageSize(100)
    fetcher.get(_request(fetcher), size)
    assert [int(r.url.params["per_page"]) for r in seen] == [100, 50, 25, 12, 10, 10, 10]
    assert stats.timeouts == 6
    for expected in (20, 40, 80, 100, 100):
        size.after_success()
        assert size.current == expected


@pytest.mark.parametrize(
    ("response", "what"),
    [
        (httpx.Response(200, html="<html>Sign in</html>"), "text/html"),
        (httpx.Response(200, json=[1, 2]), "JSON object"),
        (httpx.Response(302, headers={"location": "https://evil.example/login"}), "redirect"),
    ],
)
def test_non_pages_are_invalid_responses_not_retried(response, what) -> None:
    handler, seen = _script(response)
    fetcher, _, _ = _fetcher(handler)
    with pytest.raises(InvalidResponseError, match=what):
        fetcher.get(_request(fetcher))
    assert len(seen) == 1


def test_credentials_go_only_to_the_configured_origin_in_a_header() -> None:
    handler, seen = _script(httpx.Response(200, json=OK))
    fetcher, _, _ = _fetcher(handler)
    fetcher.get(_request(fetcher))
    assert seen[0].url.host == "acme.zendesk.com"
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert TOKEN not in str(seen[0].url)
    foreign = PageRequest("organizations", PATH, "https://acme.zendesk.com.evil.example" + PATH, {})
    with pytest.raises(ForeignHostError, match=r"evil\.example"):
        fetcher.get(foreign)
    assert len(seen) == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/api/v2/incremental/organizations.json?start_time=9",
        "http://acme.zendesk.com/api/v2/incremental/organizations.json?start_time=9",
        "https://acme.zendesk.com:8443/api/v2/incremental/organizations.json?start_time=9",
        "//evil.example/x",
    ],
)
def test_same_origin_means_scheme_host_and_port(link: str) -> None:
    fetcher, _, _ = _fetcher(_script(httpx.Response(200, json=OK))[0])
    with pytest.raises(ForeignHostError):
        fetcher.check_same_origin(link, stream="organizations", current_url="u")
    same = fetcher.check_same_origin("https://ACME.zendesk.com:443/x?cursor=1", stream="organizations", current_url="u")
    assert same.host == "acme.zendesk.com"
    assert fetcher.check_same_origin("/api/v2/x", stream="organizations", current_url="u").host == "acme.zendesk.com"


@pytest.mark.parametrize(
    ("base", "link", "followed"),
    [
        (
            ORIGIN,
            "https://other.example/api/v2/incremental/organizations.json?start_time=9",
            f"{ORIGIN}{PATH}?start_time=9",
        ),
        ("http://127.0.0.1:81/zd", f"{ORIGIN}{PATH}?cursor=a%2Bb", f"http://127.0.0.1:81/zd{PATH}?cursor=a%2Bb"),
        ("http://127.0.0.1:81/zd", f"http://127.0.0.1:81/zd{PATH[:-5]}?x=1", f"http://127.0.0.1:81/zd{PATH[:-5]}?x=1"),
        (ORIGIN, f"{PATH}?start_time=9", f"{ORIGIN}{PATH}?start_time=9"),
    ],
)
def test_a_link_is_followed_by_its_path_and_query_on_the_configured_base(base, link, followed) -> None:
    clock, stats = ManualClock(0.0), ClientStats()
    cfg = ClientConfig(base_url=base, auth=ApiTokenAuth("a@example.com", TOKEN))
    fetcher = Fetcher(cfg, clock, stats, transport=httpx.MockTransport(_script(httpx.Response(500))[0]))
    assert fetcher.follow_link(link, stream="organizations", path=PATH, current_url="u") == followed


@pytest.mark.parametrize(
    "link",
    [
        "https://acme.zendesk.com/api/v2/users/me.json",
        "https://evil.example/api/v2/incremental/tickets.json?start_time=9",
        "/api/v2/incremental/organizations.json/../../../users.json",
        "https://acme.zendesk.com/other/api/v2/incremental/organizations.json",
    ],
)
def test_a_link_outside_the_export_is_refused_naming_it(link: str) -> None:
    fetcher, _, _ = _fetcher(_script(httpx.Response(200, json=OK))[0])
    with pytest.raises(ForeignHostError, match="leads outside the export being paged") as caught:
        fetcher.follow_link(link, stream="organizations", path=PATH, current_url="u")
    assert PATH in str(caught.value) and TOKEN not in str(caught.value)


def test_a_read_response_is_freed_by_reference_counting_alone() -> None:
    """httpx 0.28 binds a response's stream back to the response; the fetcher breaks that cycle, so a page's body
    is freed as soon as the page is dropped, not at the next cyclic collection (without ``_unbound`` the response
    below stays alive)."""
    import gc
    import weakref

    from zd_pipeline.client.fetch import _unbound

    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=OK))) as client:
        gc.disable()
        try:
            response = _unbound(client.get("https://acme.zendesk.com/x"))
            assert parsed(msgspec.json.decode(response.content, type=dict[str, msgspec.Raw])) == OK
            unbound = weakref.ref(response)
            del response
            assert unbound() is None
        finally:
            gc.enable()
