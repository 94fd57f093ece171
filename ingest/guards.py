"""What one file may cost to read, checked before it is parsed and while it is parsed.

A hostile file is small on disk and huge once read: a Word file (a ZIP) whose parts
inflate to gigabytes or hold a million tiny paragraphs, XML that declares entities to
expand ("billion laughs"), a PDF stream that inflates a thousandfold, page trees or
markup nested thousands deep. The extractors ask these checks before they hand a file to
a parser, and count elements, characters and seconds while they parse. Each refusal is
an ``ExtractionError`` with a one-line reason a person can act on ("too large when
unpacked"); the limits are ``ExtractLimits`` (the sizes people may need to raise are
settings: ``SCRKB_MAX_UNPACKED_MB``, ``SCRKB_EXTRACT_TIMEOUT``).

These checks catch the hostile files we know of, with a clear reason. The backstop for
the ones we do not is ``isolate.py``: every file is read in a child process with a
memory ceiling and a time limit.
"""

from __future__ import annotations

import base64
import binascii
import logging
import mmap
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrkb.errors import ExtractionError

if TYPE_CHECKING:
    from scrkb.config import Settings

MB = 2**20


@dataclass(frozen=True)
class ExtractLimits:
    """How much one file may unpack to, hold and take. The defaults are far above what
    any published review needs (a 500-page report unpacks to a few tens of MB)."""

    unpacked_bytes: int = 256 * MB  # a ZIP's parts together; a PDF's streams together
    part_bytes: int = 16 * MB  # one PDF stream of drawing instructions, or one page's
    zip_entries: int = 10_000  # parts in one Word file (real ones have tens)
    xml_elements: int = 1_000_000  # elements in one XML part of a Word file
    block_elements: int = 200_000  # elements in one paragraph or table, or a small part
    html_elements: int = 200_000  # elements (tags) in a web page
    depth: int = 128  # element nesting, XML and HTML
    page_tree_depth: int = 64  # levels of a PDF's page tree
    chars: int = 20_000_000  # characters of text (about 8,000 pages)
    seconds: float = 120.0  # wall time to read the file

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractLimits:
        return cls(
            unpacked_bytes=settings.max_unpacked_mb * MB, seconds=float(settings.extract_timeout)
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Deadline:
    """Wall time left to read one file; ``check`` refuses the file once it is spent."""

    def __init__(self, seconds: float, name: str) -> None:
        self.seconds = seconds
        self.name = name
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise ExtractionError(
                "too_slow",
                f"{self.name} took longer than {self.seconds:g} s to read "
                "(SCRKB_EXTRACT_TIMEOUT raises it).",
            )


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= 10 * MB else f"{n / MB:.1f} MB"


def too_large_unpacked(name: str, what: str, limit: int) -> ExtractionError:
    return ExtractionError(
        "too_large",
        f"{name} is too large when unpacked: {what}, over the {_mb(limit)} limit "
        "(SCRKB_MAX_UNPACKED_MB raises it).",
    )


# --------------------------------------------------------------------------- ZIP (DOCX)
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
CENTRAL_DIRECTORY_BYTES = 4 * MB  # a real Word file's directory is a few KB


def check_zip_directory(path: Path, name: str, limits: ExtractLimits) -> None:
    """Refuse a ZIP whose directory lists too many parts, read from its end record before
    ``zipfile`` builds an entry per part (a directory of millions costs gigabytes)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        tail_length = min(size, 65536 + 22)
        fh.seek(size - tail_length)
        tail = fh.read(tail_length)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise ExtractionError(
                "corrupt", f"{name} is damaged or incomplete and cannot be opened."
            )
        fields = struct.unpack("<4sHHHHLLH", tail[at : at + 22])
        entries, directory_bytes = fields[4], fields[5]
        locator = at - 20
        if locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
            offset = struct.unpack("<4sLQL", tail[locator : locator + 20])[2]
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == _EOCD64:
                entries, directory_bytes = struct.unpack("<4sQHHLLQQQQ", record)[7:9]
    if entries > limits.zip_entries or directory_bytes > CENTRAL_DIRECTORY_BYTES:
        shown = f"{entries:,} parts" if entries > limits.zip_entries else "a directory of parts"
        raise ExtractionError(
            "too_large",
            f"{name} is too large when unpacked: it holds {shown}, more than a Word document "
            f"has (the limit is {limits.zip_entries:,}).",
        )


def check_zip_sizes(archive: Any, name: str, limits: ExtractLimits) -> None:
    """Refuse a ZIP whose parts add up to more than the limit, by their declared sizes:
    ``zipfile`` never inflates a part past its declared size (it stops, and the CRC
    check fails), so this bounds what reading any part can cost."""
    total = sum(info.file_size for info in archive.infolist())
    if total > limits.unpacked_bytes:
        raise too_large_unpacked(name, f"its parts add up to {_mb(total)}", limits.unpacked_bytes)


# --------------------------------------------------------------------------- XML
def iter_xml(
    source: Any,
    *,
    name: str,
    part: str,
    limits: ExtractLimits,
    deadline: Deadline,
    max_elements: int | None = None,
) -> Iterator[tuple[str, Any, int]]:
    """(event, element, depth) for one XML part, start and end, parsed with entity
    expansion, DTD loading and network access off; refused past the element, depth and
    text limits, or if the part declares a DTD at all (Word never writes one)."""
    from lxml import etree

    max_elements = max_elements or limits.xml_elements
    elements = 0
    depth = 0
    checked_dtd = False
    events = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                elements += 1
                if not checked_dtd:
                    checked_dtd = True
                    if element.getroottree().docinfo.internalDTD is not None:
                        raise ExtractionError(
                            "too_complex",
                            f"{name} declares XML entities (a DTD) in {part}, which Word never "
                            "writes; refused as unsafe.",
                        )
                if depth > limits.depth:
                    raise _too_deep(name, part, limits)
                if elements > max_elements:
                    raise ExtractionError(
                        "too_large",
                        f"{name} is too large when unpacked: {part} has more than "
                        f"{max_elements:,} elements.",
                    )
                if elements % 10_000 == 0:
                    deadline.check()
                yield event, element, depth
            else:
                yield event, element, depth
                depth -= 1
    except etree.XMLSyntaxError as exc:
        raise _xml_error(exc, name, part, limits) from None


def _too_deep(name: str, part: str, limits: ExtractLimits) -> ExtractionError:
    return ExtractionError(
        "too_complex",
        f"{name} is nested more than {limits.depth} elements deep in {part}; "
        "refused as unsafe to read.",
    )


def _xml_error(exc: Exception, name: str, part: str, limits: ExtractLimits) -> ExtractionError:
    text = str(exc).lower()
    if "huge" in text or "too large" in text or "amplification" in text:
        return ExtractionError(
            "too_large",
            f"{name} is too large when unpacked: {part} holds a run of text over 10 MB.",
        )
    if "depth" in text:
        return _too_deep(name, part, limits)
    return ExtractionError(
        "corrupt", f"{name} is damaged or incomplete and cannot be read as a Word file."
    )


def parse_xml(data: Any, *, name: str, part: str, limits: ExtractLimits, deadline: Deadline) -> Any:
    """A small XML part (styles, relationships, properties) parsed whole, under the same
    checks and at most ``block_elements`` elements; returns its root element."""
    root = None
    for event, element, _depth in iter_xml(
        data,
        name=name,
        part=part,
        limits=limits,
        deadline=deadline,
        max_elements=limits.block_elements,
    ):
        if event == "start" and root is None:
            root = element
    return root


# --------------------------------------------------------------------------- HTML
def check_html(text: str, name: str, limits: ExtractLimits, deadline: Deadline) -> None:
    """Count a web page's elements, nesting and text with lxml's streaming parser before
    BeautifulSoup builds its (ten times heavier) tree."""
    from lxml import etree

    parser = etree.HTMLPullParser(
        events=("start", "end"), no_network=True, huge_tree=False, remove_comments=True
    )
    elements = depth = chars = 0
    step = 256 * 1024
    for start in range(0, len(text) + 1, step):
        piece = text[start : start + step]
        if piece:
            parser.feed(piece)
        else:
            parser.close()
        for event, element in parser.read_events():
            if event == "start":
                elements += 1
                depth += 1
                if depth > limits.depth:
                    raise ExtractionError(
                        "too_complex",
                        f"{name} is nested more than {limits.depth} elements deep; "
                        "refused as unsafe to read.",
                    )
                if elements > limits.html_elements:
                    raise ExtractionError(
                        "too_large",
                        f"{name} has more than {limits.html_elements:,} elements (tags), "
                        "more than a report's web page has.",
                    )
            else:
                depth -= 1
                chars += len(element.text or "") + len(element.tail or "")
                if chars > limits.chars:
                    raise too_much_text(name, limits)
                element.clear(keep_tail=False)
        deadline.check()


def too_much_text(name: str, limits: ExtractLimits) -> ExtractionError:
    return ExtractionError(
        "too_large",
        f"{name} holds more than {limits.chars:,} characters of text, more than a report has.",
    )


# --------------------------------------------------------------------------- PDF
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"(\d+)\s+\d+\s+obj\b")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_EMBEDDED = re.compile(rb"/Type\s*/EmbeddedFile\b")
# Font programs and the like are read whole but never multiply into objects: they count
# toward the total, not against the per-stream limit for drawing instructions.
_NOT_DRAWING = re.compile(
    rb"/Length[123]\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType|XML)\b|/Type\s*/Metadata\b"
)
_CHUNK = 1 << 20
_HEADER_WINDOW = 4096


def check_pdf(
    path: Path, name: str, limits: ExtractLimits, deadline: Deadline, *, max_pages: int
) -> None:
    """Inflate (and discard) every compressed stream that pdfium would read, refusing a
    stream or a page that unpacks past its limit, then walk the page tree refusing one
    nested deeper than real files are. Image data is skipped: text extraction never
    decodes it."""
    sizes = _stream_sizes(path, name, limits, deadline)
    _check_page_tree(path, name, limits, deadline, sizes, max_pages=max_pages)


def _stream_sizes(
    path: Path, name: str, limits: ExtractLimits, deadline: Deadline
) -> dict[int, int]:
    """Object number -> unpacked size of each stream of drawing instructions and data."""
    sizes: dict[int, int] = {}
    total = 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for match in _STREAM.finditer(data):
            start = match.end()
            window = data[max(0, match.start() - _HEADER_WINDOW) : match.start()]
            headers = list(_OBJ.finditer(window))
            if not headers:
                continue
            header = headers[-1]  # the object this stream belongs to
            obj = int(header.group(1))
            dictionary = window[header.end() :]
            if _IMAGE.search(dictionary) or _EMBEDDED.search(dictionary):
                continue
            raw = _stream_data(data, start, dictionary)
            filters = _filters(dictionary)
            drawing = not _NOT_DRAWING.search(dictionary)
            cap = min(
                limits.part_bytes if drawing else limits.unpacked_bytes,
                limits.unpacked_bytes - total + 1,
            )
            size = decoded_size(raw, filters, cap, deadline)
            if size is None:
                continue
            if drawing and size > limits.part_bytes:
                raise ExtractionError(
                    "too_large",
                    f"{name} is too large when unpacked: a compressed stream (object {obj}) "
                    f"unpacks to more than {_mb(limits.part_bytes)}.",
                )
            total += size
            if total > limits.unpacked_bytes:
                raise ExtractionError(
                    "too_large",
                    f"{name} is too large when unpacked: its compressed streams add up to "
                    f"more than {_mb(limits.unpacked_bytes)} (SCRKB_MAX_UNPACKED_MB raises it).",
                )
            sizes[obj] = size
            deadline.check()
    return sizes


def _stream_data(data: Any, start: int, dictionary: bytes) -> bytes:
    """The raw bytes of a stream: by its direct /Length when that lands on ``endstream``,
    else up to the next ``endstream``."""
    length = _LENGTH.search(dictionary)
    if length:
        end = start + int(length.group(1))
        if data.find(b"endstream", end, end + 64) >= 0:
            return data[start:end]
    end = data.find(b"endstream", start)
    return data[start : end if end >= 0 else len(data)]


def _filters(dictionary: bytes) -> list[str]:
    found = _FILTER.search(dictionary)
    if not found:
        return []
    return [n.decode("latin-1") for n in _NAME.findall(found.group(1))]


def decoded_size(raw: bytes, filters: list[str], cap: int, deadline: Deadline) -> int | None:
    """How many bytes a stream's filters produce, counted without keeping them; stops
    once past ``cap``. None when the first filter is one this check does not decode
    (image codecs, encryption): that data is not what text extraction reads."""
    chunks: Iterable[bytes] = (raw[i : i + _CHUNK] for i in range(0, max(len(raw), 1), _CHUNK))
    for index, name in enumerate(filters):
        stage = _STAGES.get(name)
        if stage is None:
            if index == 0:
                return None
            break
        chunks = stage(chunks)
    total = 0
    try:
        for chunk in chunks:
            total += len(chunk)
            if total > cap:
                return total
            deadline.check()
    except (zlib.error, ValueError, binascii.Error):
        pass  # damaged data: readers stop where it breaks, and so does the count
    return total


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while True:
            out = inflater.decompress(data, _CHUNK)
            if out:
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof or (not data and len(out) < _CHUNK):
                break
        if inflater.eof:
            return
    rest = inflater.flush()
    if rest:
        yield rest


def _unhex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        end = chunk.find(b">")
        digits = carry + re.sub(rb"[^0-9A-Fa-f]", b"", chunk if end < 0 else chunk[:end])
        even = len(digits) - len(digits) % 2
        carry = digits[even:]
        if even:
            yield binascii.unhexlify(digits[:even])
        if end >= 0:
            break
    if carry:
        yield binascii.unhexlify(carry + b"0")


def _a85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    data = b"".join(chunks)  # at most the file's size
    end = data.find(b"~>")
    data = re.sub(rb"\s+", b"", data[:end] if end >= 0 else data)
    if data.startswith(b"<~"):
        data = data[2:]
    yield base64.a85decode(data)


def _run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        i, out = 0, bytearray()
        while i < len(data):
            n = data[i]
            if n == 128:
                if out:
                    yield bytes(out)
                return
            if n < 128:
                if i + 1 + n + 1 > len(data):
                    break
                out += data[i + 1 : i + 2 + n]
                i += 2 + n
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
        pending = data[i:]
        if out:
            yield bytes(out)


def _lzw(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """PDF's LZW (9 to 12-bit codes, EarlyChange 1)."""
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    width, bits, buffer = 9, 0, 0
    previous: bytes | None = None
    for chunk in chunks:
        out = bytearray()
        for byte in chunk:
            buffer = (buffer << 8) | byte
            bits += 8
            while bits >= width:
                bits -= width
                code = (buffer >> bits) & ((1 << width) - 1)
                buffer &= (1 << bits) - 1
                if code == 256:
                    table = table[:258]
                    width, previous = 9, None
                    continue
                if code == 257:
                    if out:
                        yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif previous is not None and code == len(table):
                    entry = previous + previous[:1]
                else:
                    raise ValueError("bad LZW code")
                out += entry
                if previous is not None and len(table) < 4096:
                    table.append(previous + entry[:1])
                previous = entry
                if len(table) + 1 >= (1 << width) and width < 12:
                    width += 1
        if out:
            yield bytes(out)


_STAGES: dict[str, Callable[[Iterable[bytes]], Iterator[bytes]]] = {
    "FlateDecode": _inflate,
    "Fl": _inflate,
    "ASCIIHexDecode": _unhex,
    "AHx": _unhex,
    "ASCII85Decode": _a85,
    "A85": _a85,
    "RunLengthDecode": _run_length,
    "RL": _run_length,
    "LZWDecode": _lzw,
    "LZW": _lzw,
}


# What pypdf raises on a file it cannot make sense of: pdfium then says whether it is damaged.
_PYPDF_TROUBLE = (
    RecursionError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    OSError,
    NotImplementedError,
    IndexError,
)


def _check_page_tree(
    path: Path,
    name: str,
    limits: ExtractLimits,
    deadline: Deadline,
    sizes: dict[int, int],
    *,
    max_pages: int,
) -> None:
    """Walk the page tree (iteratively, so depth costs no stack) refusing one nested
    deeper than ``page_tree_depth``, one with more pages than ``max_pages``, and a page
    whose drawing instructions unpack past ``part_bytes``. A file pypdf cannot read is
    left to pdfium, which says whether it is damaged."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are pdfium's to judge
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return
        top = reader.trailer.raw_get("/Root").get_object().raw_get("/Pages")
        stack: list[tuple[Any, int]] = [(top, 1)]
        seen: set[int] = set()
        pages = 0
        while stack:
            ref, depth = stack.pop()
            if depth > limits.page_tree_depth:
                raise ExtractionError(
                    "too_complex",
                    f"{name} has its pages nested more than {limits.page_tree_depth} levels "
                    "deep, which no real document needs; refused as unsafe to read.",
                )
            if isinstance(ref, IndirectObject):
                if ref.idnum in seen:
                    continue
                seen.add(ref.idnum)
            node = ref.get_object() if ref is not None else None
            if not isinstance(node, DictionaryObject):
                continue
            if len(seen) % 500 == 0:
                deadline.check()
            kids = node.raw_get("/Kids") if "/Kids" in node else None
            if kids is not None:
                kids = kids.get_object()
                if isinstance(kids, ArrayObject):
                    if len(kids) > max_pages:
                        raise _too_many_pages(name, len(kids), max_pages)
                    stack.extend((kid, depth + 1) for kid in reversed(kids))
                continue
            pages += 1
            if pages > max_pages:
                raise _too_many_pages(name, pages, max_pages)
            contents = node.raw_get("/Contents") if "/Contents" in node else None
            refs = contents.get_object() if isinstance(contents, IndirectObject) else contents
            if not isinstance(refs, ArrayObject):
                refs = [contents]
            unpacked = sum(sizes.get(r.idnum, 0) for r in refs if isinstance(r, IndirectObject))
            if unpacked > limits.part_bytes:
                raise ExtractionError(
                    "too_large",
                    f"{name} is too large when unpacked: page {pages} has {_mb(unpacked)} of "
                    f"drawing instructions, over the {_mb(limits.part_bytes)} limit.",
                )
    except (PyPdfError, *_PYPDF_TROUBLE):
        return


def _too_many_pages(name: str, count: int, limit: int) -> ExtractionError:
    return ExtractionError(
        "too_large", f"{name} has {count} pages, more than the limit of {limit}."
    )
