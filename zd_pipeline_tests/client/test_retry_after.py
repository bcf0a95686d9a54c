"""``Retry-After`` in every form, on every retried status, bounded by ``max_wait`` (``ZENDESK_MAX_WAIT_MINUTES``)."""

from email.utils import formatdate

import httpx
import pytest

from zd_pipeline.client import RetriesExhaustedError
from zd_pipeline.client.retry_after import retry_after_seconds
from zd_pipeline_tests.client.test_fetch import OK, _fetcher, _request, _script, parsed

NOW = 1_000_000.0


@pytest.mark.parametrize(
    ("values", "seconds"),
    [
        (["120"], 120.0),
        (["2.5"], 2.5),
        ([formatdate(NOW + 90, usegmt=True)], 90.0),
        (["Sunday, 12-Jan-70 13:48:10 GMT"], 90.0),  # RFC 850
        (["Mon Jan 12 13:48:10 1970"], 90.0),  # asctime
        ([formatdate(NOW - 90, usegmt=True)], 0.0),  # a date in the past: now
        (["5", "60"], 60.0),  # repeated: the longest
        (["60, 5"], 60.0),  # comma-joined
        ([f"1, {formatdate(NOW + 300, usegmt=True)}, 2.5"], 300.0),  # dates hold commas of their own
        (["soon", "-3", "nan"], None),
        ([], None),
    ],
)
def test_every_form_servers_send_is_read_and_the_longest_wins(values, seconds) -> None:
    assert retry_after_seconds(values, NOW) == seconds


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_nothing_is_sent_before_retry_after_on_any_retried_status(status) -> None:
    sent_at: list[float] = []
    answers = iter(
        [
            httpx.Response(status, headers=[("Retry-After", "40"), ("Retry-After", "75.5")]),
            httpx.Response(status, headers={"Retry-After": formatdate(NOW + 75.5 + 200, usegmt=True)}),
            httpx.Response(200, json=OK),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now())
        return next(answers)

    fetcher, clock, stats = _fetcher(handler, max_retries=0)
    assert parsed(fetcher.get(_request(fetcher))[0]) == OK
    # max_retries=0: waits the server named are not failures; each wait is the longest value, never shorter
    assert sent_at[1] - sent_at[0] >= 75.5 and sent_at[2] - sent_at[0] >= 275
    assert stats.retries == 2


def test_a_maintenance_window_longer_than_max_wait_fails_naming_the_setting() -> None:
    handler, seen = _script(httpx.Response(503, headers={"Retry-After": "240"}))
    fetcher, clock, _ = _fetcher(handler, max_wait=600.0)
    with pytest.raises(RetriesExhaustedError) as caught:
        fetcher.get(_request(fetcher))
    message = str(caught.value)
    assert "ZENDESK_MAX_WAIT_MINUTES=10" in message and "HTTP 503" in message
    # two waits of 240 s fit in 10 minutes, a third would not: it fails at once instead of sleeping in vain
    assert len(seen) == 3 and clock.now() - NOW == 480


def test_a_wait_named_beyond_the_bound_fails_without_sleeping() -> None:
    handler, seen = _script(httpx.Response(503, headers={"Retry-After": "3600"}))
    fetcher, clock, _ = _fetcher(handler)
    with pytest.raises(RetriesExhaustedError, match=r"asks to wait 3600 s more.*ZENDESK_MAX_WAIT_MINUTES=15"):
        fetcher.get(_request(fetcher))
    assert len(seen) == 1 and clock.now() == NOW
