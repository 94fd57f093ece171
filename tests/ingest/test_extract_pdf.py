"""PDF extraction: lines with geometry, reading order, fonts, pages, handles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from scrkb.errors import ExtractionError
from scrkb.ingest.extract import extract
from scrkb.ingest.extract_pdf import ASCENT

PAGE_HEIGHT = A4[1]


def _pdf(
    path: Path, pages: list[list[tuple[str, float, float, str, float]]], title: str = ""
) -> Path:
    """A PDF whose pages hold (text, x, y, font, size) strings drawn in the given order."""
    canvas = Canvas(str(path), pagesize=A4)
    if title:
        canvas.setTitle(title)
    for strings in pages:
        for text, x, y, font, size in strings:
            canvas.setFont(font, size)
            canvas.drawString(x, y, text)
        canvas.showPage()
    canvas.save()
    return path


def test_extract_pdf_lines_carry_geometry_size_and_weight(tmp_path: Path) -> None:
    path = _pdf(
        tmp_path / "r.pdf",
        [
            [
                ("2. Findings", 72, 750, "Helvetica-Bold", 16),
                ("The health visitor saw", 90, 720, "Helvetica", 11),
            ]
        ],
    )
    doc = extract(path)
    [page] = doc.pages
    assert (page.number, round(page.width, 1), round(page.height, 1)) == (1, 595.3, 841.9)
    heading, body = page.lines
    assert heading.text == "2. Findings"
    assert (heading.left, heading.size, heading.bold) == (72.0, 16.0, True)
    assert heading.top == pytest.approx(PAGE_HEIGHT - 750 - ASCENT * 16, abs=0.01)
    assert body.text == "The health visitor saw"
    assert (body.left, body.size, body.bold) == (90.0, 11.0, False)
    assert body.top == pytest.approx(PAGE_HEIGHT - 720 - ASCENT * 11, abs=0.01)
    assert doc.format == "pdf" and doc.page_count == 1 and doc.warnings == []


def test_extract_pdf_orders_lines_top_to_bottom(tmp_path: Path) -> None:
    # Drawn bottom line first: the content stream order is not the reading order.
    path = _pdf(
        tmp_path / "r.pdf",
        [[("second line", 72, 600, "Helvetica", 11), ("first line", 72, 700, "Helvetica", 11)]],
    )
    assert [ln.text for ln in extract(path).pages[0].lines] == ["first line", "second line"]


def test_extract_pdf_merges_runs_on_one_baseline(tmp_path: Path) -> None:
    path = _pdf(
        tmp_path / "r.pdf",
        [
            [
                ("4.2 Key practice episode", 72, 700, "Helvetica", 11),
                ("12", 500, 700, "Helvetica", 11),
                ("Next line", 72, 680, "Helvetica", 11),
            ]
        ],
    )
    lines = extract(path).pages[0].lines
    assert [ln.text for ln in lines] == ["4.2 Key practice episode 12", "Next line"]
    assert lines[0].left == 72.0


def test_extract_pdf_font_size_includes_text_matrix_scale(tmp_path: Path) -> None:
    """Word exports often set Tf 1 and scale with the text matrix."""
    canvas = Canvas(str(tmp_path / "r.pdf"), pagesize=A4)
    canvas.setFont("Times-Bold", 1)
    font = canvas._doc.getInternalFontName("Times-Bold")
    canvas._code.append(f"BT {font} 1 Tf 14 0 0 14 72 700 Tm (Scaled heading) Tj ET")
    canvas.save()
    [line] = extract(tmp_path / "r.pdf").pages[0].lines
    assert (line.text, line.size, line.bold) == ("Scaled heading", 14.0, True)


def test_extract_pdf_pages_numbered_and_title_from_metadata(tmp_path: Path) -> None:
    path = _pdf(
        tmp_path / "r.pdf",
        [[("one", 72, 700, "Helvetica", 11)], [], [("three", 72, 700, "Helvetica", 11)]],
        title="  Child Q   overview report ",
    )
    doc = extract(path)
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert [[ln.text for ln in p.lines] for p in doc.pages] == [["one"], [], ["three"]]
    assert doc.title == "Child Q overview report"
    assert doc.source == str(path.absolute())
    assert doc.size_bytes == path.stat().st_size


def test_extract_pdf_refuses_more_pages_than_the_limit(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "long.pdf", [[("x", 72, 700, "Helvetica", 11)]] * 3)
    with pytest.raises(ExtractionError) as err:
        extract(path, max_pages=2)
    assert err.value.reason == "too_large"
    assert err.value.message == "long.pdf has 3 pages, more than the limit of 2."


def test_extract_pdf_dispatches_on_content_not_extension(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "download", [[("Child R", 72, 700, "Helvetica", 11)]])
    doc = extract(path)
    assert doc.format == "pdf"
    assert doc.pages[0].lines[0].text == "Child R"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_extract_pdf_closes_the_file(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "r.pdf", [[("text", 72, 700, "Helvetica", 11)]] * 2)
    extract(path)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        extract(path)
    assert len(os.listdir("/proc/self/fd")) == before


def _column_lines(
    x: float, n: int, word: str, top: float = 700
) -> list[tuple[str, float, float, str, float]]:
    return [
        (f"{word} line {i} of the column runs on across", x, top - 14 * i,
         "Helvetica", 10)
        for i in range(n)
    ]  # fmt: skip


def test_extract_pdf_two_columns_read_column_by_column(tmp_path: Path) -> None:
    page1 = _column_lines(56, 8, "left") + _column_lines(310, 8, "right")
    # the last page: a full left column and a right column of one line
    page2 = _column_lines(56, 8, "more") + [("the end of the report.", 310, 700, "Helvetica", 10)]
    doc = extract(_pdf(tmp_path / "cols.pdf", [page1, page2]))
    first = [ln.text.split()[0] for ln in doc.pages[0].lines]
    assert first == ["left"] * 8 + ["right"] * 8
    assert [ln.column for ln in doc.pages[0].lines] == [0] * 8 + [1] * 8
    last = [ln.text for ln in doc.pages[1].lines]
    assert last[-1] == "the end of the report." and last[0].startswith("more line 0")


def test_extract_pdf_single_page_with_a_short_right_column(tmp_path: Path) -> None:
    page = _column_lines(56, 14, "left") + [
        ("and the paragraph ends here.", 310, 700, "Helvetica", 10)
    ]
    doc = extract(_pdf(tmp_path / "short.pdf", [page]))
    texts = [ln.text for ln in doc.pages[0].lines]
    assert texts[-1] == "and the paragraph ends here." and texts[0].startswith("left line 0")
    assert doc.pages[0].lines[-1].column == 1
