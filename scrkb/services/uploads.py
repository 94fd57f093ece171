"""Receiving request bodies and files (admin ingest, precedent drafts): one set of rules
for the API and the web pages.

Every request body is bounded while it is read: ``JSON_BODY_LIMIT`` unless the route
that reads it allows more first (``allow_body``; the app's body-limit middleware counts
what arrives, chunked or not, and refuses a declared ``Content-Length`` over the limit
before reading a byte). Uploads are streamed (``receive_form``): each file part goes
straight to its place on disk and is refused as soon as it passes its limit, when its
name says it is not a format scrkb reads, or when it is empty; a route that needs a
token checks it before it reads anything, and a form's own check (``before_files``, the
web's CSRF token) runs before the first file byte is written. ``extract`` later sniffs
the content itself, so a renamed file is caught there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scrkb.config import Settings
from scrkb.errors import EmptyUpload, InvalidRequest, TooLarge, UnsupportedType
from scrkb.reference import DRAFT_BODY_LIMIT, JSON_BODY_LIMIT, READABLE_SUFFIXES

_MB = 2**20
BODY_LIMIT_KEY = "scrkb.body_limit"  # in the ASGI scope: (bytes, what raises it)
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the files


def max_upload_bytes(settings: Settings) -> int:
    return settings.max_file_mb * _MB


def allow_body(scope: MutableMapping[str, Any], limit: int, hint: str | None = None) -> None:
    """Let this request's body be up to ``limit`` bytes (the default is JSON_BODY_LIMIT);
    call it before reading the body. ``hint`` says what raises the limit."""
    scope[BODY_LIMIT_KEY] = (limit, hint)


def body_limit(scope: MutableMapping[str, Any]) -> tuple[int, str | None]:
    return scope.get(BODY_LIMIT_KEY) or (JSON_BODY_LIMIT, None)


def too_large(limit: int, hint: str | None, *, declared: int | None = None) -> str:
    """The one-line refusal of an oversized body."""
    size = f" ({declared / _MB:.1f} MB)" if declared is not None else ""
    raises = f" ({hint} raises it)" if hint else ""
    return f"the request body{size} is over the {limit / _MB:g} MB limit{raises}"


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


@dataclass
class ReceivedFile:
    field: str
    filename: str  # as uploaded, made safe
    path: Path
    size: int


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)  # the last value of each
    files: list[ReceivedFile] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # every value (checkboxes)

    def file(self, name: str) -> ReceivedFile | None:
        return next((f for f in self.files if f.field == name), None)

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])


SMALL_FIELD_LIMIT = 4096  # a form's short fields (tokens, choices, years), in bytes


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.filename: str | None = None
        self.data = bytearray()
        self.out: IO[bytes] | None = None
        self.path: Path | None = None
        self.size = 0


async def receive_form(
    chunks: AsyncIterable[bytes],
    content_type: str,
    *,
    directory: Path,
    file_limit: int,
    max_files: int = 1,
    field_limit: int = 64 * 1024,
    max_fields: int = 20,
    before_files: Callable[[dict[str, str]], None] | None = None,
    large_fields: tuple[str, ...] | None = None,
) -> ReceivedForm:
    """Stream a multipart form: text fields into memory (each at most ``field_limit``
    bytes; with ``large_fields``, only those, and every other at most
    ``SMALL_FIELD_LIMIT``), files into ``directory`` (created for the first file) under
    safe, unique names, each refused past ``file_limit``. On any refusal what was written
    is removed."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidRequest("the upload is not multipart form data with a boundary")
    form = ReceivedForm()
    created_directory = False
    part = _Part()
    header_name = bytearray()
    header_value = bytearray()
    counts = {"files": 0, "fields": 0}
    checked = before_files is None

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        nonlocal created_directory, checked
        _disposition, params = parse_options_header(part.headers.get(b"content-disposition"))
        part.name = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in params:
            counts["fields"] += 1
            if counts["fields"] > max_fields:
                raise InvalidRequest(f"the form has more than {max_fields} fields")
            return
        part.filename = params[b"filename"].decode("utf-8", "replace")
        if not part.filename:  # a file input left empty: no file
            return
        if not checked:
            assert before_files is not None
            before_files(form.fields)  # e.g. the CSRF token, before a byte is written
            checked = True
        counts["files"] += 1
        if counts["files"] > max_files:
            raise TooLarge(f"at most {max_files} file(s) per upload")
        check_suffix(part.filename)
        if not created_directory:
            directory.mkdir(parents=True, exist_ok=True)
            created_directory = True
        name = safe_name(part.filename)
        target = directory / name
        if target.exists():
            target = directory / f"{Path(name).stem}-{secrets.token_hex(3)}{Path(name).suffix}"
        part.path = target
        part.out = open(target, "wb")  # noqa: SIM115 - closed at the part's end or on error

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if part.filename is None:
            limit = field_limit
            if large_fields is not None and part.name not in large_fields:
                limit = SMALL_FIELD_LIMIT
            if len(part.data) + (end - start) > limit:
                size = f"{limit / _MB:g} MB" if limit >= _MB else f"{limit:,} bytes"
                raise TooLarge(f"the form field {part.name!r} is over {size}")
            part.data.extend(data[start:end])
            return
        if part.out is None:
            return  # an empty file input's (empty) content
        part.size += end - start
        if part.size > file_limit:
            raise TooLarge(
                f"{safe_name(part.filename)!r} is over the {file_limit / _MB:g} MB limit "
                "(SCRKB_MAX_FILE_MB raises it)"
            )
        part.out.write(data[start:end])

    def on_part_end() -> None:
        if part.filename is None:
            value = part.data.decode("utf-8", "replace")
            form.fields[part.name] = value
            form.values.setdefault(part.name, []).append(value)
            return
        if part.out is None or part.path is None:
            return
        part.out.close()
        part.out = None
        if part.size == 0:
            raise EmptyUpload(f"{safe_name(part.filename)!r} is empty (0 bytes)")
        form.files.append(ReceivedFile(part.name, safe_name(part.filename), part.path, part.size))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
        if not checked:
            assert before_files is not None
            before_files(form.fields)
    except FormParserError as exc:
        _discard(part, form, directory if created_directory else None)
        raise InvalidRequest("the upload is not valid multipart form data") from exc
    except BaseException:
        _discard(part, form, directory if created_directory else None)
        raise
    return form


def _discard(part: _Part, form: ReceivedForm, directory: Path | None) -> None:
    if part.out is not None:
        part.out.close()
    for path in [part.path, *(f.path for f in form.files)]:
        if path is not None:
            with suppress(OSError):
                os.unlink(path)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


@asynccontextmanager
async def received_draft(
    chunks: AsyncIterable[bytes],
    content_type: str,
    settings: Settings,
    *,
    before_files: Callable[[dict[str, str]], None] | None = None,
    draft_field: str = "draft",
) -> AsyncIterator[ReceivedForm]:
    """A precedent draft form (a text field, ``draft_field``, or one file) received into a
    private temporary folder, removed when the block ends. Only the draft field may be
    large; the others (a token, choices, years) are short."""
    directory = Path(tempfile.gettempdir()) / f"scrkb-draft-{secrets.token_hex(8)}"
    try:
        yield await receive_form(
            chunks,
            content_type,
            directory=directory,
            file_limit=max_upload_bytes(settings),
            max_files=1,
            field_limit=DRAFT_BODY_LIMIT,
            # the draft, then the token, the cut-off and the filters' checkboxes: small
            max_fields=40,
            large_fields=(draft_field,),
            before_files=before_files,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def upload_body_limit(settings: Settings, files: int = 1) -> int:
    """What a multipart upload of ``files`` files may total, form fields included."""
    return max_upload_bytes(settings) * files + DRAFT_BODY_LIMIT + MULTIPART_OVERHEAD
