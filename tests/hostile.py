"""A corpus of hostile files, generated for the tests: what an attacker uploads.

Each is small on disk and costly once read: Word files (ZIPs) that inflate to hundreds
of MB, hold a million paragraphs, a text run of 50 MB, 50,000 parts, entity
declarations (billion laughs) or nesting thousands deep; PDFs with a flate bomb, pages
drawn from hundreds of MB, too many streams, a page tree nested 5,000 deep; web pages
nested 100,000 deep or with 300,000 elements; files whose extension says something else.
The bombs are sized to prove each limit (hundreds of MB unpacked at most), not to fill a
machine. ``HOSTILE`` lists each with the reason extraction must give and the words its
message must contain.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MB = 2**20
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOC_START = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}"><w:body>'
).encode()
_DOC_END = b"</w:body></w:document>"


def _template() -> dict[str, bytes]:
    """The parts of an ordinary Word file (python-docx's default), by name."""
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _docx(path: Path, document: Callable[[], Iterator[bytes]]) -> Path:
    """A Word file whose word/document.xml is streamed from ``document`` (never whole in
    memory), every other part as Word writes it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in _template().items():
            if name != "word/document.xml":
                archive.writestr(name, data)
        with archive.open("word/document.xml", "w", force_zip64=True) as out:
            for piece in document():
                out.write(piece)
    return path


def _repeat(unit: bytes, total: int) -> Iterator[bytes]:
    block = unit * max(1, (1 << 20) // len(unit))
    written = 0
    while written < total:
        yield block
        written += len(block)


def docx_paragraph_bomb(path: Path, unpacked: int = 262 * MB) -> Path:
    """The issue's bomb: ~1 MB on disk, ``unpacked`` bytes of tiny paragraphs."""
    unit = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    return _docx(path, lambda: iter([_DOC_START, *_repeat(unit, unpacked), _DOC_END]))


def docx_text_node(path: Path, text: int = 50 * MB) -> Path:
    """One text run of ``text`` bytes (under the unpacked limit, over libxml2's 10 MB)."""
    return _docx(
        path,
        lambda: iter(
            [_DOC_START, b"<w:p><w:r><w:t>", *_repeat(b"a", text), b"</w:t></w:r></w:p>", _DOC_END]
        ),
    )


def docx_entity_bomb(path: Path) -> Path:
    """Billion laughs: ten levels of entities, each ten of the one below."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!DOCTYPE w:document [{''.join(entities)}]>\n"
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
    ).encode()
    return _docx(path, lambda: iter([head, _DOC_END]))


def docx_deep(path: Path, depth: int = 5000) -> Path:
    """Content controls nested ``depth`` deep around one paragraph."""
    opening = b"<w:sdt><w:sdtContent>" * depth
    closing = b"</w:sdtContent></w:sdt>" * depth
    para = b"<w:p><w:r><w:t>deep</w:t></w:r></w:p>"
    return _docx(path, lambda: iter([_DOC_START, opening, para, closing, _DOC_END]))


def docx_many_parts(path: Path, parts: int = 50_000) -> Path:
    """A Word file padded with ``parts`` empty parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in _template().items():
            archive.writestr(name, data)
        for i in range(parts):
            archive.writestr(f"customXml/p{i}.xml", b"")
    return path


# --------------------------------------------------------------------------- PDF
def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _flate(unit: bytes, total: int) -> bytes:
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(block) for block in _repeat(unit, total)]
    return b"".join([*parts, compressor.flush()])


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_DRAW = b"BT /F1 1 Tf 10 10 Td (a) Tj ET 0 0 m 1 1 l S\n"


def _pages(contents: list[bytes]) -> list[bytes]:
    """Catalog, one page drawn from ``contents`` (each a stream), a font."""
    first = 5
    refs = b" ".join(b"%d 0 R" % (first + i) for i in range(len(contents)))
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [" + refs + b"] "
        b"/Resources << /Font << /F1 4 0 R >> >> >>",
        _FONT,
        *(_stream(c) for c in contents),
    ]


def pdf_flate_bomb(path: Path, unpacked: int = 300 * MB) -> Path:
    """One page whose drawing instructions inflate to ``unpacked`` bytes (~300 KB on disk)."""
    path.write_bytes(_pdf(_pages([_flate(_DRAW, unpacked)])))
    return path


def pdf_split_contents(path: Path, streams: int = 3, each: int = 10 * MB) -> Path:
    """One page drawn from several streams, each under the per-stream limit."""
    path.write_bytes(_pdf(_pages([_flate(_DRAW, each)] * streams)))
    return path


def pdf_many_streams(path: Path, streams: int = 20, each: int = 15 * MB) -> Path:
    """Streams that each pass the per-stream limit and together pass the total."""
    objects = _pages([_flate(_DRAW, 1024)])
    objects += [_stream(_flate(b"% filler\n", each)) for _ in range(streams)]
    path.write_bytes(_pdf(objects))
    return path


def pdf_deep_page_tree(path: Path, depth: int = 5000) -> Path:
    """A page tree of ``depth`` /Pages nodes, each the only kid of the one above."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for i in range(depth):
        number = 2 + i
        parent = b"/Parent %d 0 R " % (number - 1) if i else b""
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 %s>>" % (number + 1, parent))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>" % (depth + 1))
    path.write_bytes(_pdf(objects))
    return path


# --------------------------------------------------------------------------- HTML, text
def html_deep(path: Path, depth: int = 100_000) -> Path:
    path.write_bytes(
        b"<!DOCTYPE html><html><body>"
        + b"<div>" * depth
        + b"<p>deep</p>"
        + b"</div>" * depth
        + b"</body></html>"
    )
    return path


def html_wide(path: Path, elements: int = 300_000) -> Path:
    path.write_bytes(
        b"<!DOCTYPE html><html><body><main>"
        + b"<p><b>x</b></p>" * (elements // 2)
        + b"</main></body></html>"
    )
    return path


def doc_bad_sectors(path: Path) -> Path:
    """An OLE2 (Word 97) header whose sector size is 2**65535 bytes."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[30:32] = (0xFFFF).to_bytes(2, "little")
    path.write_bytes(bytes(header) + b"\0" * 4096)
    return path


def text_flood(path: Path, chars: int = 21_000_000) -> Path:
    with path.open("wb") as out:
        for block in _repeat(b"The child was not seen. ", chars):
            out.write(block)
    return path


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name it is uploaded under
    build: Callable[[Path], Path]
    reason: str  # ExtractionError.reason
    says: str  # words the one-line message must contain


HOSTILE: list[Hostile] = [
    Hostile("paragraphs.docx", docx_paragraph_bomb, "too_large", "too large when unpacked"),
    Hostile(
        "million-paragraphs.docx",
        lambda p: docx_paragraph_bomb(p, 100 * MB),
        "too_large",
        "more than 1,000,000 elements",
    ),
    Hostile("text-run.docx", docx_text_node, "too_large", "run of text over 10 MB"),
    Hostile("laughs.docx", docx_entity_bomb, "too_complex", "declares XML entities"),
    Hostile("nested.docx", docx_deep, "too_complex", "nested more than 128"),
    Hostile("parts.docx", docx_many_parts, "too_large", "50,017 parts"),
    Hostile("flate.pdf", pdf_flate_bomb, "too_large", "unpacks to more than 16 MB"),
    Hostile(
        "split.pdf",
        pdf_split_contents,
        "too_large",
        "MB of drawing instructions, over the 16 MB limit",
    ),
    Hostile("streams.pdf", pdf_many_streams, "too_large", "add up to more than 256 MB"),
    Hostile("pagetree.pdf", pdf_deep_page_tree, "too_complex", "nested more than 64 levels"),
    Hostile("nested.html", html_deep, "too_complex", "nested more than 128"),
    Hostile("wide.html", html_wide, "too_large", "more than 200,000 elements"),
    Hostile("flood.txt", text_flood, "too_large", "more than 20,000,000 characters"),
    Hostile("sectors.doc", doc_bad_sectors, "corrupt", "damaged or incomplete"),
    # Misleading names: the content decides the reader, and the reader refuses.
    Hostile("report.pdf", docx_paragraph_bomb, "too_large", "too large when unpacked"),
    Hostile("notes.txt", pdf_flate_bomb, "too_large", "unpacks to more than 16 MB"),
    Hostile("page.html", docx_entity_bomb, "too_complex", "declares XML entities"),
    Hostile("review.docx", html_deep, "wrong_type", "is not a Word document"),
]


def build_corpus(folder: Path) -> dict[str, Path]:
    """Every hostile file under ``folder``, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    return {h.name: h.build(folder / h.name) for h in HOSTILE}
