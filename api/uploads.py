"""Receiving files: size and type are checked before anything is parsed.

An upload is refused with 413 as soon as it is known to be too big (from the
Content-Length header, then while copying), and with 415 when its name says it is not a
format scrkb reads; ``extract`` later sniffs the content itself, so a renamed file is
caught there (also as 415).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from fastapi import Request, UploadFile

from scrkb.api.errors import ApiError

UPLOAD_SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".markdown", ".text"}
CHUNK = 1 << 20
_MB = 2**20


def max_upload_bytes(max_file_mb: int) -> int:
    return max_file_mb * _MB


def check_content_length(request: Request, limit: int, *, files: int = 1) -> None:
    """413 before reading the body when the declared size is over the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit * files + 64 * 1024:
        raise ApiError(
            413,
            f"the upload is {int(declared) / _MB:.1f} MB; the limit is {limit / _MB:g} MB per "
            "file (SCRKB_MAX_FILE_MB raises it)",
        )


def safe_name(filename: str | None) -> str:
    """A file name without folders or odd characters, keeping its suffix."""
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "upload"
    return name[-120:]


def check_suffix(filename: str | None) -> str:
    suffix = Path(safe_name(filename)).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        shown = suffix or "no extension"
        raise ApiError(
            415,
            f"{safe_name(filename)!r} ({shown}) is not a format scrkb reads: "
            "upload PDF, DOCX, HTML or plain text",
        )
    return suffix


async def save_upload(upload: UploadFile, directory: Path, limit: int) -> Path:
    """Copy an upload into ``directory`` under a safe, unique name; 413/415 on refusal."""
    check_suffix(upload.filename)
    if upload.size is not None and upload.size > limit:
        raise ApiError(
            413,
            f"{safe_name(upload.filename)!r} is {upload.size / _MB:.1f} MB; the limit is "
            f"{limit / _MB:g} MB (SCRKB_MAX_FILE_MB raises it)",
        )
    directory.mkdir(parents=True, exist_ok=True)
    name = safe_name(upload.filename)
    target = directory / name
    if target.exists():
        target = directory / f"{Path(name).stem}-{secrets.token_hex(3)}{Path(name).suffix}"
    written = 0
    try:
        with open(target, "wb") as out:
            while chunk := await upload.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise ApiError(
                        413,
                        f"{name!r} is over the {limit / _MB:g} MB limit "
                        "(SCRKB_MAX_FILE_MB raises it)",
                    )
                out.write(chunk)
    except BaseException:
        if target.exists():
            os.unlink(target)
        raise
    if written == 0:
        os.unlink(target)
        raise ApiError(422, f"{name!r} is empty (0 bytes)", code="empty")
    return target


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes."""
    check_content_length(request, limit)
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, f"the request body is over {limit / _MB:g} MB")
    return bytes(data)
