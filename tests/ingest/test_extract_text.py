"""Text and Markdown extraction: paragraphs, headings, pages, encodings."""

from __future__ import annotations

from pathlib import Path

from scrkb.ingest.extract import extract

TEXT = """Serious Case Review: Child P
============================

1. Introduction
---------------

1.1 This review was commissioned
after the death of Child P.
- first bullet that wraps
  onto a second row
- second bullet

Contents
1. Introduction ........................ 3
2. Findings ............................ 7
\f## 2. Findings

2.1 The school raised concerns.
\f"""


def _got(path: Path) -> list[list[tuple[str, int | None, bool]]]:
    return [
        [(ln.text, ln.style_level, ln.list_item) for ln in p.lines] for p in extract(path).pages
    ]


def test_extract_text_paragraphs_headings_and_pages(tmp_path: Path) -> None:
    path = tmp_path / "child-p.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert _got(path) == [
        [
            ("Serious Case Review: Child P", 1, False),
            ("1. Introduction", 2, False),
            ("1.1 This review was commissioned after the death of Child P.", None, False),
            ("first bullet that wraps onto a second row", None, True),
            ("second bullet", None, True),
            ("Contents", None, False),
            ("1. Introduction ........................ 3", None, False),
            ("2. Findings ............................ 7", None, False),
        ],
        [("2. Findings", 2, False), ("2.1 The school raised concerns.", None, False)],
    ]
    doc = extract(path)
    assert (doc.format, doc.page_count, doc.title, doc.warnings) == (
        "text",
        2,
        "Serious Case Review: Child P",
        [],
    )
    lines = [ln for p in doc.pages for ln in p.lines]
    assert lines and all(ln.new_block for ln in lines)


def test_extract_text_falls_back_to_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(b"Mother\x92s partner \x96 unknown\r\nsecond row\r\n")
    doc = extract(path)
    assert [ln.text for ln in doc.pages[0].lines] == [
        "Mother\u2019s partner \u2013 unknown second row"
    ]
    assert doc.warnings == ["not UTF-8: read as Windows-1252"]


def test_extract_text_markdown_skips_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "review.md"
    path.write_text(
        "---\nslug: x\nformat: pdf\n---\n# 1. Introduction\n\nBody text.\n", encoding="utf-8"
    )
    doc = extract(path)
    assert _got(path) == [[("1. Introduction", 1, False), ("Body text.", None, False)]]
    assert doc.warnings == ["skipped YAML front matter"]


def test_extract_text_markdown_with_inline_html_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("Intro line with <div>a tag</div> in it.\n", encoding="utf-8")
    doc = extract(path)
    assert doc.format == "text"
    assert doc.pages[0].lines[0].text == "Intro line with <div>a tag</div> in it."
