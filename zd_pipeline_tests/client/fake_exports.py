"""A tiny in-memory time-based export for ``httpx.MockTransport`` unit tests of the paginators.

It pages like Zendesk does (start at ``start_time``, the next page starts at ``end_time`` so the boundary second
repeats, same-second groups completed whenever a page would otherwise be one partial second) but lets a test
choose every page's size and whether its last group is completed, to cover any split of a stream.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import httpx

ORIGIN = "https://acme.zendesk.com"


class FakeTimeExport:
    """Serves ``records`` (dicts with ``id`` and the stream's epoch ``ordering_field``) at ``path``."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        *,
        path: str,
        response_key: str,
        ordering_field: str,
        sizes: Iterable[int] = (1000,),
        complete_groups: Iterable[bool] = (True,),
    ) -> None:
        self.records = sorted(records, key=lambda r: (r[ordering_field], r["id"]))
        self.path = path
        self.key = response_key
        self.field = ordering_field
        self._sizes = itertools.cycle(list(sizes))
        self._complete = itertools.cycle(list(complete_groups))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path != self.path:
            return httpx.Response(404, json={"error": "InvalidEndpoint"})
        start = int(request.url.params["start_time"])
        candidates = [r for r in self.records if r[self.field] >= start]
        page = candidates[: next(self._sizes)]
        complete = next(self._complete)
        if page and (complete or page[0][self.field] == page[-1][self.field]):
            last = page[-1][self.field]
            page = page + [r for r in candidates[len(page) :] if r[self.field] == last]
        end_time = page[-1][self.field] if page else start
        body = {
            self.key: page,
            "count": len(page),
            "end_time": end_time,
            "end_of_stream": len(page) == len(candidates),
            "next_page": f"{ORIGIN}{self.path}?start_time={end_time}",
        }
        return httpx.Response(200, json=body)
