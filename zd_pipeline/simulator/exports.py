"""Response bodies of the export endpoints: page selection (:mod:`paging`) wrapped in each scheme's envelope.

Bodies are assembled from one JSON document per item (tickets come pre-rendered as bytes, see
:mod:`ticket_bytes`) plus the envelope, never by re-serialising a page of dicts: this is the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from zd_pipeline.catalogue import Pagination, Stream
from zd_pipeline.simulator.paging import (
    MAX_PER_PAGE,
    Page,
    PageRequest,
    cursor_page,
    encode_cursor,
    next_url,
    time_page,
)
from zd_pipeline.simulator.render_tickets import strip_comments
from zd_pipeline.simulator.store import StreamStore

COMMENT_EVENTS = "comment_events"
CURSOR_STYLES = ("urlsafe", "standard")


@dataclass(frozen=True)
class ExportOptions:
    """How the account's envelopes look, for behaviours seen in the wild (all off by default).

    - ``canonical_host``: links (``next_page``, ``after_url``, ``before_url``) name ``https://{canonical_host}``,
      the account's own host, whatever host the request came to (a proxy or host-mapped domain in front).
    - ``cursor_style``: ``standard`` cursors hold ``+``, ``/`` and ``=`` (see :func:`paging.encode_cursor`).
    - ``empty_pages``: a cursor export answers an empty page (``end_of_stream`` false, a new ``after_cursor``)
      before each page reached by cursor, as Zendesk may before the end.
    - ``omit_end_of_stream``: streams whose time-based pages carry no ``end_of_stream`` (Zendesk's schema of
      the ticket metric events export has none).
    """

    canonical_host: str | None = None
    cursor_style: str = "urlsafe"
    empty_pages: bool = False
    omit_end_of_stream: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.cursor_style not in CURSOR_STYLES:
            raise ValueError(f"cursor_style must be one of {', '.join(CURSOR_STYLES)}, got {self.cursor_style!r}")
        host = self.canonical_host
        if host is not None and (not host or any(c in host for c in "/?#@ ")):
            raise ValueError(f"canonical_host must be a host name such as acme.zendesk.com, got {host!r}")
        object.__setattr__(self, "omit_end_of_stream", tuple(self.omit_end_of_stream))


def project(stream: Stream, records: list[dict[str, Any]], includes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Records as served for the request's ``include``: ticket events lose Comment children without it."""
    if COMMENT_EVENTS in stream.sideloads and COMMENT_EVENTS not in includes:
        return [strip_comments(r) for r in records]
    return records


def _extra(req: PageRequest, per_page_given: bool) -> dict[str, Any]:
    return {
        "per_page": req.per_page if per_page_given else None,
        "include": ",".join(req.includes) or None,
        "exclude_deleted": "true" if req.exclude_deleted else None,
    }


def items_json(store: StreamStore, positions: list[int], includes: tuple[str, ...]) -> list[bytes]:
    """The records at ``positions`` as served for ``includes``, one JSON document each."""
    stream = store.stream
    if COMMENT_EVENTS in stream.sideloads and COMMENT_EVENTS not in includes:
        return [orjson.dumps(r) for r in project(stream, store.records(positions), includes)]
    return store.records_json(positions)


def _items(store: StreamStore, page: Page, req: PageRequest) -> list[bytes]:
    return items_json(store, page.positions, req.includes)


def envelope(key: str, items: list[bytes], fields: dict[str, Any]) -> bytes:
    """``{key: [items...], **fields}`` as JSON bytes, the items spliced in as they are."""
    return b'{"' + key.encode() + b'":[' + b",".join(items) + b"]," + orjson.dumps(fields)[1:]


def _position_cursor(store: StreamStore, page: Page, req: PageRequest, style: str) -> str:
    """Cursor after the page's last item; for an empty page, the request's own position."""
    if page.positions:
        last = page.positions[-1]
        return encode_cursor(store.ts_at(last), store.id_at(last), style=style)
    if req.cursor:
        return encode_cursor(*req.cursor, style=style)
    return encode_cursor(req.start_time or 0, -1 if store.stream.id_type == "BIGINT" else "", style=style)


def export_body(
    store: StreamStore,
    pagination: Pagination,
    req: PageRequest,
    limit: int,
    base_url: str,
    path: str,
    per_page_given: bool,
    options: ExportOptions = ExportOptions(),
) -> bytes:
    """The JSON body of one export page, as Zendesk shapes it for ``pagination``."""
    stream = store.stream
    key = stream.response_key
    style = options.cursor_style
    if pagination is Pagination.TIME:
        page = time_page(store, req, limit)
        end_time = store.ts_at(page.positions[-1]) if page.positions else req.start_time
        items = _items(store, page, req)
        body = {
            "count": len(items),
            "end_time": end_time,
            "next_page": next_url(base_url, path, {"start_time": end_time, **_extra(req, per_page_given)}),
            "end_of_stream": page.end_of_stream,
        }
        if stream.name in options.omit_end_of_stream:
            del body["end_of_stream"]
        return envelope(key, items, body)
    if pagination is Pagination.CURSOR:
        if options.empty_pages and req.cursor and not req.cursor_mark:
            page = Page([], False, 0)
            after = encode_cursor(*req.cursor, style=style, mark="empty")
        else:
            page = cursor_page(store, req, limit, req.per_page if per_page_given else MAX_PER_PAGE)
            after = _position_cursor(store, page, req, style)
        before = None
        if req.cursor and page.positions:
            before = encode_cursor(store.ts_at(page.positions[0]), store.id_at(page.positions[0]), style=style)
        extra = _extra(req, per_page_given)
        items = _items(store, page, req)
        body = {
            "after_cursor": after,
            "after_url": next_url(base_url, path, {"cursor": after, **extra}),
            "before_cursor": before,
            "before_url": next_url(base_url, path, {"cursor": before, **extra}) if before else None,
            "end_of_stream": page.end_of_stream,
        }
        return envelope(key, items, body)
    page = cursor_page(store, req, limit, stream.max_page_size)
    items = _items(store, page, req)
    cursor = _position_cursor(store, page, req, style)
    end_time = store.ts_at(page.positions[-1]) if page.positions else (req.cursor[0] if req.cursor else req.start_time)
    body = {
        "count": len(items),
        "end_time": end_time,
        "next_page": next_url(base_url, path, {"cursor": cursor}),
    }
    return envelope(key, items, body)
