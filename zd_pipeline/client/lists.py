"""``ListClient``: reads the reference lists (``catalogue.lists``) from Zendesk's ordinary list endpoints.

Cursor pagination as Zendesk's API reference describes it ("Pagination"): the first request sends ``page[size]``
(at most 100); a page says ``meta.has_more`` and links the next one in ``links.next`` (or, lacking the link, gives
``meta.after_cursor`` for ``page[after]``). An endpoint without cursor pagination answers the whole list at once
(``next_page`` null); an offset ``next_page`` link is followed too. Every link must stay on the configured origin.

Budget: these endpoints spend the account-wide API limit (hundreds of requests a minute by plan), not the
per-endpoint export limit. The client has its own :class:`~.fetch.Fetcher` (so its own sliding-window throttle,
``requests_per_minute`` over all list endpoints together, separate from the exports' per-endpoint budgets) and
reuses the fetcher's one retry path (429/5xx, ``Retry-After``, timeouts). On top,
:class:`~.account_budget.AccountBudget` reads the account-wide remaining count that responses carry and pauses
the lists while ``reserve`` or fewer requests remain, so the exports sharing the account never starve.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import httpx
import msgspec
import orjson

from zd_pipeline.catalogue import ListStream
from zd_pipeline.client.account_budget import DEFAULT_RESERVE, AccountBudget, BudgetTransport
from zd_pipeline.client.config import ClientConfig
from zd_pipeline.client.errors import InvalidResponseError
from zd_pipeline.client.fetch import Fetcher, PageRequest
from zd_pipeline.client.stats import ClientStats
from zd_pipeline.clock import Clock, SystemClock

DEFAULT_LIST_REQUESTS_PER_MINUTE = 60  # of the smallest plan's 200 a minute: exports keep the larger share
BUDGET_ENDPOINT = "account-wide list budget"
MAX_PAGES = 100_000  # a server that links pages in a circle is stopped, not followed forever


@dataclass(frozen=True)
class ListPage:
    """One page of a list: its items (dicts, ``expand`` sub-lists attached), whether it is the last, its URL."""

    stream: str
    records: list[dict[str, Any]]
    end: bool
    url: str


class ListClient:
    """Pages through list endpoints; thread-safe like the export client. ``clock`` and ``transport`` as there."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        requests_per_minute: int = DEFAULT_LIST_REQUESTS_PER_MINUTE,
        reserve: int = DEFAULT_RESERVE,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        clock = clock or SystemClock()
        self.stats = ClientStats()
        self.budget = AccountBudget(reserve, clock)
        own = replace(config, requests_per_minute=requests_per_minute)  # validated by ClientConfig
        wrapped = BudgetTransport(transport or httpx.HTTPTransport(), self.budget)
        self._fetcher = Fetcher(own, clock, self.stats, transport=wrapped, rng=rng)

    def __enter__(self) -> ListClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._fetcher.close()

    def iter_pages(self, stream: ListStream, since: int | None = None) -> Iterator[ListPage]:
        """The list's pages in order; ``since`` (epoch s) filters a ``since`` list (ratings) by ``start_time``.
        Raises a ``ZendeskError`` subclass (``PermissionDeniedError`` when the plan lacks the feature)."""
        if since is not None and not stream.since:
            raise ValueError(f"list {stream.name!r} cannot be filtered by start time")
        params: dict[str, str | int] = {"page[size]": stream.page_size} if stream.cursor else {}
        if since is not None:
            params["start_time"] = int(since)
        url = self._fetcher.url_for(stream.path)
        for _ in range(MAX_PAGES):
            body, sent = self._fetcher.get(PageRequest(stream.name, BUDGET_ENDPOINT, url, params))
            records = self._records(stream, body, sent)
            following = self._next(stream, body, sent)
            self.stats.add(stream.name, "pages")
            self.stats.add(stream.name, "records", len(records))
            yield ListPage(stream.name, records, following is None, sent)
            if following is None:
                return
            url, params = following
        raise InvalidResponseError(
            f"more than {MAX_PAGES} pages: the links go in a circle", stream=stream.name, url=url
        )

    def read_all(self, stream: ListStream, since: int | None = None) -> list[dict[str, Any]]:
        """Every item of the list (one complete read)."""
        return [record for page in self.iter_pages(stream, since) for record in page.records]

    def _records(self, stream: ListStream, body: dict[str, msgspec.Raw], url: str) -> list[dict[str, Any]]:
        raw = body.get(stream.response_key)
        records = orjson.loads(memoryview(raw)) if raw is not None else None
        if not isinstance(records, list) or not all(isinstance(r, dict) and "id" in r for r in records):
            raise InvalidResponseError(
                f"expected a list of objects with an id under {stream.response_key!r}", stream=stream.name, url=url
            )
        if stream.expand is not None:
            for record in records:
                record[stream.expand.field] = self._expand(stream, record["id"])
        return records

    def _expand(self, stream: ListStream, item_id: object) -> list[Any]:
        assert stream.expand is not None
        path = stream.expand.path.format(id=int(item_id))  # type: ignore[call-overload]
        request = PageRequest(stream.name, BUDGET_ENDPOINT, self._fetcher.url_for(path), {})
        body, sent = self._fetcher.get(request)
        raw = body.get(stream.expand.response_key)
        items = orjson.loads(memoryview(raw)) if raw is not None else None
        if not isinstance(items, list):
            raise InvalidResponseError(
                f"expected a list under {stream.expand.response_key!r}", stream=stream.name, url=sent
            )
        return items

    def _next(self, stream: ListStream, body: dict[str, msgspec.Raw], sent: str) -> tuple[str, dict] | None:
        """The next request (URL without query, params), or ``None`` at the end."""
        fields = {k: orjson.loads(memoryview(v)) for k, v in body.items() if k in ("meta", "links", "next_page")}
        meta, links = fields.get("meta") or {}, fields.get("links") or {}
        if isinstance(meta, dict) and "has_more" in meta:
            if not meta["has_more"]:
                return None
            link = links.get("next") if isinstance(links, dict) else None
            if not link:
                after = meta.get("after_cursor")
                if not after:
                    raise InvalidResponseError("has_more without a next link or cursor", stream=stream.name, url=sent)
                return str(httpx.URL(sent).copy_with(query=None)), {**_params(httpx.URL(sent)), "page[after]": after}
        else:
            link = fields.get("next_page")
            if not link:
                return None
        parsed = self._fetcher.check_same_origin(str(link), stream=stream.name, current_url=sent)
        if str(parsed) == sent:
            raise InvalidResponseError("the next-page link repeats this page", stream=stream.name, url=sent)
        return str(parsed.copy_with(query=None)), _params(parsed)


def _params(url: httpx.URL) -> dict[str, str]:
    return dict(url.params.multi_items())
