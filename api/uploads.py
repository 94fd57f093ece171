"""HTTP-side checks on request bodies: refuse an oversized upload from its declared
Content-Length before reading it, and read a JSON body with a byte limit.

What is done with a received file (size while copying, accepted names, saving it) is the
same for the API and the web pages: ``scrkb.services.uploads``.
"""

from __future__ import annotations

from fastapi import Request

from scrkb.errors import TooLarge

_MB = 2**20


def check_content_length(request: Request, limit: int, *, files: int = 1) -> None:
    """413 before reading the body when the declared size is over the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit * files + 64 * 1024:
        raise TooLarge(
            f"the upload is {int(declared) / _MB:.1f} MB; the limit is {limit / _MB:g} MB per "
            "file (SCRKB_MAX_FILE_MB raises it)"
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes."""
    check_content_length(request, limit)
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise TooLarge(f"the request body is over {limit / _MB:g} MB")
    return bytes(data)
