"""Client limits found by the reliability tests: a 429 storm does not spend the retry budget, per_page bounds."""

import httpx
import pytest

from zd_pipeline.client import ApiTokenAuth, ClientConfig, RetriesExhaustedError
from zd_pipeline_tests.client.test_fetch import OK, _fetcher, _request, _script, parsed

TOO_MANY = httpx.Response(429, headers={"Retry-After": "30"})


def test_a_429_storm_longer_than_the_retry_budget_is_waited_out() -> None:
    handler, seen = _script(*[TOO_MANY] * 20, httpx.Response(503), httpx.Response(200, json=OK))
    fetcher, clock, stats = _fetcher(handler, max_retries=2)
    start = clock.now()
    assert parsed(fetcher.get(_request(fetcher))[0]) == OK
    assert len(seen) == 22 and stats.responses_429 == 20
    assert clock.now() - start >= 20 * 30


def test_rate_limit_waits_are_bounded_and_say_why() -> None:
    handler, seen = _script(TOO_MANY)
    fetcher, _, _ = _fetcher(handler, max_rate_limit_waits=5)
    with pytest.raises(RetriesExhaustedError, match=r"waiting out 5 rate-limit responses.*ZENDESK_REQUESTS_PER_MINUTE"):
        fetcher.get(_request(fetcher))
    assert len(seen) == 6


def test_a_429_without_retry_after_spends_the_retry_budget() -> None:
    handler, seen = _script(httpx.Response(429))
    fetcher, _, _ = _fetcher(handler, max_retries=2)
    with pytest.raises(RetriesExhaustedError, match="3 attempts; last failure: 429"):
        fetcher.get(_request(fetcher))
    assert len(seen) == 3


@pytest.mark.parametrize("per_page", [0, 5000, -1, True])
def test_per_page_out_of_range_names_the_bound(per_page) -> None:
    with pytest.raises(ValueError, match=r"per_page=.* is out of range: Zendesk's incremental exports serve 1 to 1000"):
        ClientConfig(base_url="https://acme.zendesk.com", auth=ApiTokenAuth("a@example.com", "t"), per_page=per_page)


def test_an_unreachable_host_names_the_settings_to_check() -> None:
    handler, seen = _script(httpx.ConnectError("[Errno -2] Name or service not known"))
    fetcher, _, _ = _fetcher(handler, max_retries=2)
    with pytest.raises(RetriesExhaustedError) as caught:
        fetcher.get(_request(fetcher))
    message = str(caught.value)
    print(f"\nUNREACHABLE | {message}")
    assert "cannot connect (ConnectError: [Errno -2] Name or service not known)" in message
    assert "Nothing answers at acme.zendesk.com: check ZENDESK_SUBDOMAIN / ZENDESK_BASE_URL" in message
    assert len(seen) == 3
