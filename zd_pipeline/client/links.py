"""Where a URL may go: only to the configured origin, and a next-page link only within the export being paged.

Credentials travel only to the configured origin, so every URL is checked before it is sent. Zendesk writes its
next-page links with the account's canonical host (``{subdomain}.zendesk.com``), which is not the configured base
when requests go through a proxy or a host-mapped domain: a link is therefore followed by its path and query on the
configured base, its host never used, and refused if its path is not the export being paged.
"""

from __future__ import annotations

import httpx

from zd_pipeline.client.errors import ForeignHostError, InvalidResponseError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_same_origin(origin: httpx.URL, url: str, *, stream: str, current_url: str) -> httpx.URL:
    """Parse ``url`` (absolute or relative to ``origin``) and raise ``ForeignHostError`` unless its scheme, host and
    port are ``origin``'s."""
    parsed = _parse_link(origin, url, stream=stream, current_url=current_url)
    if _origin_key(parsed) != _origin_key(origin):
        raise ForeignHostError(
            f"refusing to send a request to {_without_userinfo(parsed)}, not the configured base "
            f"{origin} (no request, no credentials sent there)",
            stream=stream,
            url=current_url,
        )
    return parsed


def follow_link(origin: httpx.URL, link: str, *, stream: str, path: str, current_url: str) -> str:
    """The URL a next-page ``link`` stands for on the configured base ``origin``: the link's path and query, with
    the base's scheme, host, port (and path prefix). The path must be the export being paged (``path``, with or
    without ``.json``, under the base's prefix when the link is on the base's own origin): anything else raises
    ``ForeignHostError`` naming the link."""
    parsed = _parse_link(origin, link, stream=stream, current_url=current_url)
    prefix = origin.path.rstrip("/")
    link_path = parsed.path
    if prefix and _origin_key(parsed) == _origin_key(origin) and link_path.startswith(prefix + "/"):
        link_path = link_path[len(prefix) :]
    if link_path.removesuffix(".json") != path.removesuffix(".json"):
        raise ForeignHostError(
            f"the response's next-page link {_without_userinfo(parsed)} leads outside the export being paged "
            f"({path}); refusing to follow it (no request, no credentials sent there)",
            stream=stream,
            url=current_url,
        )
    return str(origin.copy_with(path=prefix + link_path, query=parsed.query or None))


def _parse_link(origin: httpx.URL, url: str, *, stream: str, current_url: str) -> httpx.URL:
    try:
        return origin.join(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidResponseError(
            f"next-page link {url!r} is not a URL ({exc})", stream=stream, url=current_url
        ) from None


def _origin_key(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _without_userinfo(url: httpx.URL) -> str:
    return str(url.copy_with(username=None, password=None, query=None, fragment=None))
