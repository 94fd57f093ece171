"""Plain text and Markdown to lines: one line per paragraph.

Text exports of reports wrap lines at a fixed width and separate pages with form feeds;
paragraphs are what survives intact, so each blank-line-separated paragraph becomes one
line. Headings are recognised in the two forms text files use: ``#`` prefixes and
``===``/``---`` underlines.
"""

from __future__ import annotations

import codecs
import re

from scrkb.models import Line, PageText

_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")
_BULLET = re.compile(r"^\s*[-*\u2022]\s+(.+)$")
_LEADER = re.compile(r"(?:\.\s?){3,}\s*\d+\s*$")  # a contents entry: "Introduction ..... 3"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*\n", re.S)


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); else Windows-1252, which is
    what older reports saved on Windows use. Returns the text and any warning."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), []
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace"), ["not UTF-8: read as Windows-1252"]


def extract_text(
    data: bytes, *, markdown: bool = False
) -> tuple[list[PageText], str | None, list[str]]:
    """Return (pages split at form feeds, title, warnings) for text bytes.

    For Markdown a leading YAML front matter block is skipped: it is data about the
    file, not the report's text. The title is the first level-1 heading, if any.
    """
    text, warnings = decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if markdown and _FRONT_MATTER.match(text):
        text = _FRONT_MATTER.sub("", text, count=1)
        warnings.append("skipped YAML front matter")
    pages = [
        PageText(number=i + 1, lines=_page_lines(page)) for i, page in enumerate(text.split("\f"))
    ]
    if len(pages) > 1 and not pages[-1].lines:
        pages.pop()  # a trailing form feed ends the last page; it does not start a new one
    title = next((ln.text for p in pages for ln in p.lines if ln.style_level == 1), None)
    return pages, title, warnings


def _page_lines(page: str) -> list[Line]:
    lines: list[Line] = []
    for paragraph in re.split(r"\n[ \t]*\n", page):
        rows = [row.rstrip() for row in paragraph.split("\n") if row.strip()]
        lines.extend(_paragraph_lines(rows))
    return lines


def _paragraph_lines(rows: list[str]) -> list[Line]:
    """A paragraph's rows to lines: headings, bullets and contents entries stand alone,
    other rows are unwrapped into the paragraph they belong to."""
    out: list[Line] = []
    buffer: list[str] = []
    bullet = False

    def flush() -> None:
        nonlocal bullet
        if buffer:
            out.append(
                Line(text=" ".join(" ".join(buffer).split()), new_block=True, list_item=bullet)
            )
        buffer.clear()
        bullet = False

    i = 0
    while i < len(rows):
        row = rows[i]
        atx = _ATX.match(row.strip())
        underline = i + 1 < len(rows) and _UNDERLINE.match(rows[i + 1].strip())
        if atx:
            flush()
            out.append(Line(text=atx.group(2), style_level=len(atx.group(1)), new_block=True))
        elif underline and not buffer and not _BULLET.match(row):
            flush()
            level = 1 if rows[i + 1].strip().startswith("=") else 2
            out.append(Line(text=" ".join(row.split()), style_level=level, new_block=True))
            i += 1
        elif _LEADER.search(row):
            flush()
            out.append(Line(text=" ".join(row.split()), new_block=True))
        elif match := _BULLET.match(row):
            flush()
            buffer.append(match.group(1))
            bullet = True
        else:
            buffer.append(row.strip())
        i += 1
    flush()
    return out
