"""A minimal, obviously-correct export loop used to check the simulator against its own ground truth.

It follows the documented rules only: time-based pages continue at ``end_time`` (and past it when a page is one
whole same-second group); cursor pages follow ``after_url`` until ``end_of_stream``; routing pages follow
``next_page`` until ``count`` is 0.
"""

from __future__ import annotations

from typing import Any

import httpx

from zd_pipeline.catalogue import Pagination, Stream


def export(
    client: httpx.Client, stream: Stream, pagination: Pagination, start_time: int = 0, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items in arrival order, page bodies without items) of a complete export."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    url: str = stream.path_for(pagination)
    query: dict[str, Any] | None = {"start_time": start_time, **params}
    for _ in range(10_000):
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body[stream.response_key])
        pages.append({k: v for k, v in body.items() if k != stream.response_key})
        if pagination is Pagination.TIME:
            if body["end_of_stream"]:
                return items, pages
            start = int(httpx.URL(str(response.request.url)).params["start_time"])
            if body["end_time"] == start:
                url, query = stream.path_for(pagination), {**params, "start_time": body["end_time"] + 1}
            else:
                url, query = body["next_page"], None
        elif pagination is Pagination.CURSOR:
            if body["end_of_stream"]:
                return items, pages
            url, query = body["after_url"], None
        else:
            if body["count"] == 0:
                return items, pages
            url, query = body["next_page"], None
    raise AssertionError("export did not end")


def newest_per_id(stream: Stream, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse repeats (boundary items, updated records) to the newest version per id, in (ts, id) order."""
    latest: dict[Any, dict[str, Any]] = {}
    for item in items:
        previous = latest.get(item["id"])
        if previous is None or stream.ordering_epoch(item) >= stream.ordering_epoch(previous):
            latest[item["id"]] = item
    return sorted(latest.values(), key=lambda r: (stream.ordering_epoch(r), r["id"]))


def touched_ids(touched: dict[str, dict[str, list[Any]]], stream: str) -> list[Any]:
    """Every id a mutation wrote to ``stream`` (created, updated or deleted)."""
    return [i for kind in ("created", "updated", "deleted") for i in touched[stream][kind]]
