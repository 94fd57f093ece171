"""The sample renderer: each format rendered, then read back through ``extract``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from samples.render import (
    FICTION_NOTICE,
    Review,
    SourceBlock,
    build_samples,
    parse_review,
    render_docx,
    render_html,
    render_pdf,
    render_text,
)
from scrkb.ingest.extract import extract
from scrkb.models import ExtractedDoc

PARAGRAPH = (
    "2.1 The health visitor recorded that the home was cluttered and that Child W was "
    "asleep upstairs, so was not seen. The same entry appears, in almost the same words, "
    "after three further visits over the following five months, and no one asked why."
)

REVIEW_W = f"""---
slug: testshire-child-w-2019
format: pdf
title: "Child Safeguarding Practice Review: Child W"
document_kind: overview report
partnership: "Testshire Safeguarding Children Partnership"
year: 2019
published: "June 2019"
author: "A. N. Author, independent reviewer"
---
# 1. Introduction

1.1 This review concerns Child W, who was eleven months old when admitted to hospital.

# 2. Findings

{PARAGRAPH}

## 2.2 Information sharing

2.2.1 The GP surgery did not know that the family had moved.

- health visiting
- children's social care

# 3. Recommendations

Recommendation 1: The partnership should audit the response to missed health reviews.
"""

REVIEW_X = """---
slug: exton-family-x-2021
format: html
title: "Learning Review: Family X"
document_kind: executive summary
partnership: "Exton Child Protection Committee"
published: "2021"
---
# 1. Summary

1.1 The review found that the older sibling's school was not told of the concerns.
"""


@pytest.fixture
def review_w(tmp_path: Path) -> Review:
    path = tmp_path / "src" / "testshire-child-w-2019.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(REVIEW_W, encoding="utf-8")
    return parse_review(path)


def _body_texts(doc: ExtractedDoc) -> list[str]:
    return [ln.text for page in doc.pages for ln in page.lines]


def _joined(doc: ExtractedDoc, first_page: int = 1) -> str:
    return " ".join(ln.text for p in doc.pages[first_page - 1 :] for ln in p.lines)


def test_render_parse_review_reads_front_matter_and_blocks(review_w: Review) -> None:
    assert review_w.title == "Child Safeguarding Practice Review: Child W"
    assert review_w.meta["year"] == 2019
    assert review_w.format == "pdf"
    assert [(b.kind, b.text[:12]) for b in review_w.blocks] == [
        ("h1", "1. Introduct"),
        ("p", "1.1 This rev"),
        ("h1", "2. Findings"),
        ("p", "2.1 The heal"),
        ("h2", "2.2 Informat"),
        ("p", "2.2.1 The GP"),
        ("li", "health visit"),
        ("li", "children's s"),
        ("h1", "3. Recommend"),
        ("p", "Recommendati"),
    ]
    assert review_w.blocks[3] == SourceBlock("p", PARAGRAPH)


def test_render_pdf_round_trip(review_w: Review, tmp_path: Path) -> None:
    doc = extract(render_pdf(review_w, tmp_path / "w.pdf"))
    assert doc.title == review_w.title
    assert doc.page_count == 3  # title page, contents, body
    title_page = doc.pages[0].lines
    assert " ".join(ln.text for ln in title_page) == " ".join(
        [
            "Child Safeguarding Practice Review: Child W",  # wraps onto two lines at 24 pt
            "Testshire Safeguarding Children Partnership",
            "Overview report",
            "A. N. Author, independent reviewer",
            "June 2019",
            FICTION_NOTICE,
        ]
    )
    assert [(ln.size, ln.bold) for ln in title_page[:3]] == [
        (24.0, True),
        (24.0, True),
        (13.0, False),
    ]

    header = "Testshire Safeguarding Children Partnership \u2014 Child Safeguarding Practice Review: Child W"
    for page in doc.pages[1:]:
        assert page.lines[0].text == header
        assert page.lines[-1].text == f"Page {page.number} of 3"
    assert "Page 1 of 3" not in _body_texts(doc)

    contents = [ln.text for ln in doc.pages[1].lines[1:-1]]
    assert contents[0] == "Contents"
    assert [re.sub(r"(?: \.)+ ", " ... ", t) for t in contents[1:]] == [
        "1. Introduction ... 3",
        "2. Findings ... 3",
        "2.2 Information sharing ... 3",
        "3. Recommendations ... 3",
    ]

    body = doc.pages[2].lines
    headings = [(ln.text, ln.size) for ln in body if ln.bold]
    assert headings == [
        ("1. Introduction", 16.0),
        ("2. Findings", 16.0),
        ("2.2 Information sharing", 13.0),
        ("3. Recommendations", 16.0),
    ]
    assert PARAGRAPH in _joined(doc, first_page=3)
    assert "\u2022 health visiting" in [ln.text for ln in body]
    # Justified text wraps mid-paragraph: the paragraph spans several lines.
    assert sum(1 for ln in body if ln.text.startswith("2.1 ")) == 1
    assert not any(ln.text == PARAGRAPH for ln in body)


def test_render_pdf_repeat_renumbers_sections(review_w: Review, tmp_path: Path) -> None:
    doc = extract(render_pdf(review_w, tmp_path / "long.pdf", repeat=12))
    headings = [ln.text for p in doc.pages[1:] for ln in p.lines if ln.bold and ln.size == 16.0]
    assert headings[:2] == ["Contents", "1. Introduction"]
    assert headings[-3:] == ["34. Introduction", "35. Findings", "36. Recommendations"]
    assert doc.page_count >= 6
    last = doc.pages[-1]
    assert last.lines[-1].text == f"Page {doc.page_count} of {doc.page_count}"


def test_render_docx_round_trip(review_w: Review, tmp_path: Path) -> None:
    doc = extract(render_docx(review_w, tmp_path / "w.docx"))
    assert (doc.format, doc.page_count, doc.title) == ("docx", 3, review_w.title)
    assert [(ln.text, ln.style_level) for ln in doc.pages[0].lines][:2] == [
        (review_w.title, 1),
        ("Testshire Safeguarding Children Partnership", None),
    ]
    assert [ln.text for ln in doc.pages[1].lines] == [
        "Contents",
        "1. Introduction 3",
        "2. Findings 3",
        "2.2 Information sharing 3",
        "3. Recommendations 3",
    ]
    body = [(ln.text, ln.style_level, ln.list_item) for ln in doc.pages[2].lines]
    assert ("2. Findings", 1, False) in body
    assert ("2.2 Information sharing", 2, False) in body
    assert (PARAGRAPH, None, False) in body
    assert ("children's social care", None, True) in body
    assert "Testshire" not in " ".join(t for t, *_ in body)  # header text stays in its part


def test_render_html_round_trip(review_w: Review, tmp_path: Path) -> None:
    doc = extract(render_html(review_w, tmp_path / "w.html"))
    texts = _body_texts(doc)
    assert doc.title == review_w.title
    assert texts[:2] == [review_w.title, "Overview report"]
    assert PARAGRAPH in texts
    for chrome in (
        "Skip to main content",
        "Accept all",
        "Related documents",
        "Share this page",
        "Learning from reviews",
        "All rights reserved",
        "dataLayer",
        "Search this site",
    ):
        assert not [t for t in texts if chrome in t], chrome
    levels = {ln.text: ln.style_level for ln in doc.pages[0].lines if ln.style_level}
    assert levels == {
        review_w.title: 1,
        "1. Introduction": 2,
        "2. Findings": 2,
        "2.2 Information sharing": 3,
        "3. Recommendations": 2,
    }


def test_render_text_round_trip(review_w: Review, tmp_path: Path) -> None:
    path = render_text(review_w, tmp_path / "w.txt")
    assert path.read_text(encoding="utf-8").count("\f") == 2
    doc = extract(path)
    assert doc.page_count == 3
    assert [ln.text for ln in doc.pages[1].lines][1].startswith("1. Introduction .....")
    assert [ln.text for ln in doc.pages[1].lines][1].endswith(" 3")
    body = [(ln.text, ln.style_level, ln.list_item) for ln in doc.pages[2].lines]
    assert body[:2] == [
        ("1. Introduction", 1, False),
        (
            "1.1 This review concerns Child W, who was eleven months old when admitted to hospital.",
            None,
            False,
        ),
    ]
    assert (PARAGRAPH, None, False) in body
    assert ("2.2 Information sharing", 2, False) in body
    assert ("health visiting", None, True) in body


def test_render_build_samples_writes_manifest_and_skips_unchanged(tmp_path: Path) -> None:
    src, out = tmp_path / "reviews", tmp_path / "build"
    src.mkdir()
    (src / "testshire-child-w-2019.md").write_text(REVIEW_W, encoding="utf-8")
    (src / "exton-family-x-2021.md").write_text(REVIEW_X, encoding="utf-8")
    paths = build_samples(src, out)
    assert [p.name for p in paths] == ["exton-family-x-2021.html", "testshire-child-w-2019.pdf"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == ["exton-family-x-2021.html", "testshire-child-w-2019.pdf"]
    assert (
        manifest["testshire-child-w-2019.pdf"]["title"]
        == "Child Safeguarding Practice Review: Child W"
    )
    assert manifest["exton-family-x-2021.html"]["format"] == "html"

    mtimes = {p.name: p.stat().st_mtime_ns for p in paths}
    build_samples(src, out)
    assert {p.name: p.stat().st_mtime_ns for p in paths} == mtimes

    (src / "exton-family-x-2021.md").write_text(
        REVIEW_X.replace('2021"', '2022"'), encoding="utf-8"
    )
    build_samples(src, out)
    assert (out / "testshire-child-w-2019.pdf").stat().st_mtime_ns == mtimes[
        "testshire-child-w-2019.pdf"
    ]
    assert (out / "exton-family-x-2021.html").stat().st_mtime_ns != mtimes[
        "exton-family-x-2021.html"
    ]
    assert "2022" in (out / "exton-family-x-2021.html").read_text(encoding="utf-8")
