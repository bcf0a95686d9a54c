"""Writing an ASGI response, with the control faults need (a declared length longer than the body sent)."""

from __future__ import annotations

from typing import Any

JSON = b"application/json; charset=utf-8"


async def respond(
    send: Any,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    declared_length: int | None = None,
    complete: bool = True,
) -> None:
    """Send one JSON response; ``complete=False`` leaves it unfinished so the server drops the connection."""
    length = len(body) if declared_length is None else declared_length
    all_headers = [(b"content-type", JSON), (b"content-length", str(length).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body, "more_body": not complete})
