"""The list endpoints of the reference tables (``catalogue.lists``), served from :class:`~.reference.ReferenceData`.

As Zendesk's: with ``page[size]`` (1..100) an endpoint that supports cursor pagination answers
``{<key>: [...], meta: {has_more, after_cursor, before_cursor}, links: {next, prev}}`` and ``page[after]`` continues;
without it, or on an endpoint without cursor pagination, the whole list comes in one response with ``count`` and
``next_page: null``. Satisfaction ratings filter on ``start_time`` / ``end_time`` (epoch seconds, creation time).
A list whose plan feature the account lacks answers 403. Rate limiting, faults and auth are the app's, as for the
exports; every list endpoint spends one account-wide budget (:data:`BUDGET_KEY`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import orjson

from zd_pipeline.catalogue import LISTS, ListStream, to_epoch
from zd_pipeline.simulator.paging import ApiError, invalid, next_url
from zd_pipeline.simulator.reference import ReferenceData

BUDGET_KEY = "/api/v2 (account-wide)"
MAX_PAGE_SIZE = 100
_PATHS = {s.path: s for s in LISTS.values()}
_EXPANDS = {
    re.compile("^" + re.escape(s.expand.path).replace(re.escape("{id}"), r"(\d+)") + "$"): s
    for s in LISTS.values()
    if s.expand is not None
}


@dataclass(frozen=True)
class ListRoute:
    """A list endpoint, or (``item_id`` set) the per-item sub-list of ``stream.expand``."""

    stream: ListStream
    item_id: int | None = None


def list_route(path: str) -> ListRoute | None:
    """The list route for a request path (with or without ``.json``), or ``None``."""
    bare = path.removesuffix(".json")
    if bare in _PATHS:
        return ListRoute(_PATHS[bare])
    for pattern, stream in _EXPANDS.items():
        match = pattern.match(bare)
        if match:
            return ListRoute(stream, int(match.group(1)))
    return None


def list_body(ref: ReferenceData, route: ListRoute, query: dict[str, list[str]], base_url: str, path: str) -> bytes:
    """The response body for a list request; raises :class:`ApiError` (403 feature, 400 parameters, 404)."""
    stream = route.stream
    if not ref.available(stream.name):
        raise ApiError(403, "Forbidden", f"the account's plan does not include {stream.feature}")
    if route.item_id is not None:
        assert stream.expand is not None
        holidays = ref.holidays(route.item_id)
        if holidays is None:
            raise ApiError(404, "RecordNotFound", "Not found")
        return orjson.dumps({stream.expand.response_key: holidays})
    items = _filtered(stream, ref.items(stream.name), query)
    size = _one(query, "page[size]")
    if not stream.cursor or size is None:
        return orjson.dumps({stream.response_key: items, "next_page": None, "previous_page": None, "count": len(items)})
    try:
        per_page = int(size)
    except ValueError:
        raise invalid(f"page[size] must be a whole number, got {size[:32]!r}") from None
    if not 1 <= per_page <= MAX_PAGE_SIZE:
        raise invalid(f"page[size] must be between 1 and {MAX_PAGE_SIZE}")
    start = _decode(_one(query, "page[after]"))
    page = items[start : start + per_page]
    after = start + len(page)
    has_more = after < len(items)
    params = {k: vals[-1] for k, vals in query.items() if k not in ("page[after]", "page[before]")}
    return orjson.dumps(
        {
            stream.response_key: page,
            "meta": {"has_more": has_more, "after_cursor": _encode(after), "before_cursor": _encode(start)},
            "links": {
                "next": next_url(base_url, path, {**params, "page[after]": _encode(after)}) if has_more else None,
                "prev": None,
            },
        }
    )


def _filtered(stream: ListStream, items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    if not stream.since:
        return items
    bounds = []
    for name in ("start_time", "end_time"):
        raw = _one(query, name)
        try:
            bounds.append(int(raw) if raw not in (None, "") else None)
        except ValueError:
            raise invalid(f"{name} must be a Unix epoch time in seconds, got {raw[:64]!r}") from None
    start, end = bounds
    return [
        item
        for item in items
        if (start is None or to_epoch(item["created_at"]) >= start)
        and (end is None or to_epoch(item["created_at"]) < end)
    ]


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("o"):
            raise ValueError(text)
        return int(text[1:])
    except ValueError:
        raise invalid("page[after] is not a cursor this endpoint gave") from None
