"""Any report file to an ``ExtractedDoc``: the single entry point of the extract stage.

The loader is chosen from the file's content, not its name: publishers' sites serve
login and error pages under ``.pdf`` links, and downloads arrive without extensions.
Every refusal is an ``ExtractionError`` whose message a person can act on. What a file
may cost to read (unpacked size, elements, nesting, characters, seconds) is bounded by
``ExtractLimits`` (``guards.py``); ``isolate.py`` runs this in a child process with a
memory ceiling for files from outside.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from scrkb.errors import ExtractionError
from scrkb.ingest.guards import Deadline, ExtractLimits, check_zip_directory, too_much_text
from scrkb.ingest.ocr import OcrOptions
from scrkb.models import DocFormat, ExtractedDoc, PageText

SNIFF_BYTES = 8192
_HTML_START = re.compile(rb"^(?:\s|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_HTML_ANYWHERE = re.compile(rb"<(?:head|body|title|meta|script|div|p|table)[\s>/]", re.I)
_BINARY_EXTENSIONS = {".pdf": "PDF", ".docx": "Word document", ".doc": "Word document"}
_MB = 2**20


def extract(
    path: Path,
    *,
    max_bytes: int = 100 * 2**20,
    max_pages: int = 2000,
    ocr: OcrOptions | None = None,
    limits: ExtractLimits | None = None,
    sha256: str | None = None,
) -> ExtractedDoc:
    """Extract the text of one report file, page by page.

    The size limit is checked before anything is read, so a huge download costs nothing;
    ``limits`` bound what the file may unpack to and take while it is read.
    Scanned PDF pages are read with Tesseract when ``ocr`` allows it (pages then carry
    ``ocr_confidence``); a scan left unread comes back with no lines and the warning
    "no text layer (needs OCR)". Legacy Word (.doc) files are read with antiword.
    ``sha256``: the file's digest when the caller has already computed it (ingest hashes
    every file once, before extracting), so the file is not hashed twice.
    """
    path = Path(path).absolute()
    name = path.name
    limits = limits or ExtractLimits()
    deadline = Deadline(limits.seconds, name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError("unreadable", f"{name} cannot be opened: {exc.strerror}.") from exc
    if not path.is_file():
        raise ExtractionError("unreadable", f"{name} is not a file.")
    if size == 0:
        raise ExtractionError("empty", f"{name} is empty (0 bytes); download it again.")
    if size > max_bytes:
        raise ExtractionError(
            "too_large",
            f"{name} is {size / _MB:.1f} MB, over the {max_bytes / _MB:g} MB limit "
            "(SCRKB_MAX_FILE_MB raises it).",
        )
    try:
        if sha256 is None:
            digest, head = _hash_and_head(path)
        else:
            with path.open("rb") as fh:
                digest, head = sha256, fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ExtractionError("unreadable", f"{name} cannot be read: {exc.strerror}.") from exc

    fmt = sniff_format(head, path, limits)
    warnings: list[str] = []
    site: str | None = None
    if fmt == "pdf":
        from scrkb.ingest.extract_pdf import extract_pdf

        pages, title, warnings = extract_pdf(
            path, max_pages=max_pages, ocr=ocr, limits=limits, deadline=deadline
        )
    elif fmt == "docx":
        from scrkb.ingest.extract_docx import extract_docx

        pages, title, warnings = extract_docx(path, limits=limits, deadline=deadline)
    elif fmt == "doc":
        from scrkb.ingest.extract_doc import extract_doc

        pages, title, warnings = extract_doc(path, timeout=limits.seconds)
    elif fmt == "html":
        from scrkb.ingest.extract_html import extract_html, site_name

        data = path.read_bytes()
        pages, title, warnings = extract_html(data, name=name, limits=limits, deadline=deadline)
        site = site_name(data)
    else:
        from scrkb.ingest.extract_text import decode_text, extract_text

        data = path.read_bytes()
        if len(data) > limits.chars * 4 or len(decode_text(data)[0]) > limits.chars:
            raise too_much_text(name, limits)
        pages, title, warnings = extract_text(
            data, markdown=path.suffix.lower() in {".md", ".markdown"}
        )
        if not any(line.text.strip() for page in pages for line in page.lines):
            raise ExtractionError("empty", f"{name} contains no text, only blank space.")
    if _characters(pages) > limits.chars:
        raise too_much_text(name, limits)
    if len(pages) > max_pages:
        raise ExtractionError(
            "too_large", f"{name} has {len(pages)} pages, more than the limit of {max_pages}."
        )
    return ExtractedDoc(
        source=str(path),
        sha256=digest,
        format=fmt,
        size_bytes=size,
        page_count=len(pages),
        pages=pages,
        title=title,
        warnings=warnings,
        site_name=site,
    )


def _characters(pages: list[PageText]) -> int:
    return sum(len(line.text) for page in pages for line in page.lines)


def _hash_and_head(path: Path) -> tuple[str, bytes]:
    """SHA-256 of the whole file, streamed, and its first bytes for sniffing."""
    sha = hashlib.sha256()
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_MB):
            if not head:
                head = chunk[:SNIFF_BYTES]
            sha.update(chunk)
    return sha.hexdigest(), head


def sniff_format(head: bytes, path: Path, limits: ExtractLimits | None = None) -> DocFormat:
    """Decide the loader from the first bytes; the extension only explains refusals.

    A ``.pdf`` or ``.docx`` whose content is a web page or text is refused as
    ``wrong_type``: that is what a site's error or login page saved as a report looks like.
    """
    name = path.name
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path, limits or ExtractLimits())
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(head, path)
    text_like = _looks_like_text(head)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("ascii", "ignore")
    is_html = text_like and (
        bool(_HTML_START.match(head.lstrip(b"\xef\xbb\xbf")))
        or (suffix not in {".md", ".markdown", ".txt"} and bool(_HTML_ANYWHERE.search(head)))
    )
    if suffix in _BINARY_EXTENSIONS and text_like:
        what = "a web page" if is_html else "plain text"
        hint = " (perhaps an error or login page saved instead of the report)" if is_html else ""
        raise ExtractionError(
            "wrong_type", f"{name} is not a {_BINARY_EXTENSIONS[suffix]}: it is {what}{hint}."
        )
    if is_html:
        return "html"
    if text_like:
        return "text"
    raise ExtractionError(
        "unsupported", f"{name} is not a PDF, Word (.docx or .doc), web page or text file."
    )


def _sniff_ole(head: bytes, path: Path) -> DocFormat:
    """An OLE2 compound file: a Word 97-2003 document, or another Office file."""
    if "WordDocument".encode("utf-16-le") in _ole_directory(path):
        return "doc"
    raise ExtractionError(
        "unsupported",
        f"{path.name} is an Office file (OLE2) but not a Word document; save it as PDF.",
    )


def _ole_directory(path: Path) -> bytes:
    """The bytes where an OLE2 file's directory entries live (names in UTF-16)."""
    with path.open("rb") as fh:
        header = fh.read(512)
        shift = int.from_bytes(header[30:32], "little") or 9
        if shift not in (9, 12):  # 512- or 4096-byte sectors; anything else is not OLE2
            raise ExtractionError(
                "corrupt", f"{path.name} is damaged or incomplete and cannot be opened."
            )
        first_dir = int.from_bytes(header[48:52], "little")
        fh.seek((first_dir + 1) << shift)
        return fh.read(4 << shift)


def _sniff_zip(path: Path, limits: ExtractLimits) -> DocFormat:
    name = path.name
    check_zip_directory(path, name, limits)  # before zipfile reads the directory
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExtractionError(
            "corrupt", f"{name} is damaged or incomplete and cannot be opened."
        ) from exc
    if "word/document.xml" in names:
        return "docx"
    raise ExtractionError(
        "unsupported", f"{name} is a ZIP archive, not a Word document; unpack it first."
    )


def _looks_like_text(head: bytes) -> bool:
    """No NUL bytes (outside UTF-16), few control characters, and either UTF-8 or mostly
    ASCII (Windows-1252 prose): text, in some charset."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    if controls > len(head) // 100:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the sniff boundary
            # Windows-1252 prose is mostly ASCII; noise is not.
            return sum(1 for b in head if b >= 0x80) <= len(head) * 0.3
    return True
