"""Request bodies on the HTTP side: every body is counted while it is read.

``BodyLimit`` (middleware, on the app that serves the API and the pages) wraps each
request's ``receive``: a declared ``Content-Length`` over the limit is refused before a
byte is read, and a body sent without one (chunked) is refused as soon as it passes the
limit. The limit is ``JSON_BODY_LIMIT`` unless the route allowed more before reading
(``scrkb.services.uploads.allow_body``: uploads, a pasted draft, the pack form). The
refusal is a 413, raised as an HTTP exception so that FastAPI's own body reading passes
it on; the API answers it in JSON, the pages as an error page.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrkb.services.uploads import body_limit, too_large


class BodyTooLarge(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = Headers(scope=scope).get("content-length")
        declared = None
        if raw is not None and raw.isascii() and raw.isdigit():
            declared = int(raw) if len(raw) < 19 else 1 << 62
        received = 0

        async def limited() -> Message:
            nonlocal received
            limit, hint = body_limit(scope)
            if declared is not None and declared > limit:
                raise BodyTooLarge(too_large(limit, hint, declared=declared))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(too_large(limit, hint))
            return message

        await self.app(scope, limited, send)
