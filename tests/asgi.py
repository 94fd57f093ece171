"""Call an ASGI app with a request body fed in chunks, counting what the app reads.

``TestClient`` hands the whole body over at once; these tests need to know how much of
a request the app consumed before it answered (nothing, for a refused admin upload;
about the limit, for an oversized one), so they speak ASGI directly: the body is
offered chunk by chunk through ``receive`` and every chunk taken is counted. With no
``Content-Length`` header the request is what a chunked upload looks like to the app.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    bytes_read: int  # body bytes the app took through ``receive``
    chunks_offered: int
    set_cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def call(
    app: Any,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    chunks: Iterable[bytes] = (),
    query: str = "",
    scheme: str = "http",
) -> Answer:
    """Send one request; ``chunks`` is the body, offered one chunk per ``receive``.

    Run on a thread of its own when this one already has a running event loop: the web
    tests' session-wide Playwright (sync API) keeps one running in the main thread, and
    ``asyncio.run`` refuses to start inside it."""
    request = (app, method, path, headers or {}, iter(chunks), query, scheme)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_call(*request))
    with ThreadPoolExecutor(1, thread_name_prefix="asgi-call") as pool:
        return pool.submit(lambda: asyncio.run(_call(*request))).result()


async def _call(
    app: Any,
    method: str,
    path: str,
    headers: dict[str, str],
    chunks: Iterator[bytes],
    query: str,
    scheme: str,
) -> Answer:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if not any(k == b"host" for k, _ in raw_headers):
        raw_headers.append((b"host", b"testserver"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443 if scheme == "https" else 80),
        "state": {},
    }
    read = 0
    offered = 0
    pending = next(chunks, None)
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal read, offered, pending
        if pending is None:
            await finished.wait()  # the body is over: wait for the disconnect
            return {"type": "http.disconnect"}
        chunk, pending = pending, next(chunks, None)
        offered += 1
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    status = 0
    out_headers: list[tuple[bytes, bytes]] = []
    body = bytearray()

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                finished.set()

    await app(scope, receive, send)
    finished.set()
    decoded = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in out_headers]
    return Answer(
        status=status,
        headers=dict(decoded),
        body=bytes(body),
        bytes_read=read,
        chunks_offered=offered,
        set_cookies=[v for k, v in decoded if k == "set-cookie"],
    )


def multipart(
    files: list[tuple[str, str, Iterable[bytes]]],
    fields: dict[str, str] | None = None,
    *,
    boundary: str = "scrkbtestboundary7MA4YWxk",
) -> tuple[str, Iterator[bytes]]:
    """(content type, body chunks) for a multipart form: fields first, then each file
    (field name, file name, chunks of its content), streamed without building it whole."""

    def body() -> Iterator[bytes]:
        for name, value in (fields or {}).items():
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        for name, filename, content in files:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            yield from content
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    return f"multipart/form-data; boundary={boundary}", body()


def zeros(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of filler in chunks, generated as they are asked for."""
    block = b"0" * chunk
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield block[:n]
        sent += n


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token a page writes into its forms ("" if it writes none)."""
    match = _TOKEN.search(html)
    return match.group(1) if match else ""
