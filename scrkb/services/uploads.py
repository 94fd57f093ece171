"""Receiving files (admin ingest, precedent drafts): one set of checks for the API and
the web pages. The size limit is ``SCRKB_MAX_FILE_MB``; the accepted names are the
formats scrkb reads (``scrkb.reference.DOCUMENT_FORMATS``).

A file is refused as soon as it is known to be too big (while copying it, in chunks),
and when its name says it is not a format scrkb reads; ``extract`` later sniffs the
content itself, so a renamed file is caught there.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from scrkb.config import Settings
from scrkb.errors import EmptyUpload, TooLarge, UnsupportedType
from scrkb.reference import READABLE_SUFFIXES

CHUNK = 1 << 20
_MB = 2**20


class Upload(Protocol):
    """What a received file offers (Starlette's ``UploadFile`` is one)."""

    filename: str | None
    size: int | None

    async def read(self, size: int = -1) -> bytes: ...


def max_upload_bytes(settings: Settings) -> int:
    return settings.max_file_mb * _MB


def safe_name(filename: str | None) -> str:
    """A file name without folders or odd characters, keeping its suffix."""
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "upload"
    return name[-120:]


def check_suffix(filename: str | None) -> str:
    suffix = Path(safe_name(filename)).suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        shown = suffix or "no extension"
        raise UnsupportedType(
            f"{safe_name(filename)!r} ({shown}) is not a format scrkb reads: "
            "upload PDF, DOCX, HTML or plain text"
        )
    return suffix


async def save_upload(upload: Upload, directory: Path, limit: int) -> Path:
    """Copy an upload into ``directory`` under a safe, unique name; refuse it if too big,
    of a type scrkb does not read, or empty."""
    check_suffix(upload.filename)
    if upload.size is not None and upload.size > limit:
        raise TooLarge(
            f"{safe_name(upload.filename)!r} is {upload.size / _MB:.1f} MB; the limit is "
            f"{limit / _MB:g} MB (SCRKB_MAX_FILE_MB raises it)"
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
                    raise TooLarge(
                        f"{name!r} is over the {limit / _MB:g} MB limit "
                        "(SCRKB_MAX_FILE_MB raises it)"
                    )
                out.write(chunk)
    except BaseException:
        if target.exists():
            os.unlink(target)
        raise
    if written == 0:
        os.unlink(target)
        raise EmptyUpload(f"{name!r} is empty (0 bytes)")
    return target
