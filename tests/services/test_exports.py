"""Exports as files people hand out: opened and measured, not string-matched.

The packs here are built by hand (fictional reports, labelled as such), so these tests
need no model or index: a PDF on A4 with numbered pages and no near-empty last page,
a Word file on A4 with heading styles, plain block quotes and clickable links, and
citations that never point at this server (``127.0.0.1``, ``/api/``).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from scrkb.models import Briefing, BriefingExtract, BriefingReference, Citation, Pack, PackItem
from scrkb.nlp.summaries import shorten
from scrkb.services.briefing import _as_practice_point
from scrkb.services.citations import cited_url, is_public, report_url, site_original_href
from scrkb.services.exports import export_briefing, export_pack

LOCAL = re.compile(r"127\.0\.0\.1|localhost|/api/")
# Fictional: written for these tests in the register of a review's findings.
FINDING = (
    "The health visitor saw a bruise on the baby's ear and accepted the mother's account "
    "without question. The baby was not mobile, and the bruising protocol required a "
    "referral to children's social care and a paediatric examination, but neither was "
    "made. Nobody asked who else lived in the household, and the mother's new partner "
    "was never seen by any agency."
)


def _citation(n: int, *, fmt: str = "pdf", source_url: str | None = None) -> Citation:
    return Citation(
        report_id=f"r{n:04d}",
        title=f"Serious Case Review: Baby {chr(64 + n)} (fictional)",
        partnership="Harrowfield Local Safeguarding Children Board",
        year=2014,
        page=n + 3,
        page_end=n + 3,
        source_url=source_url,
        review_type="scr",
        format=fmt,
        paragraph=n + 10,
    )


def _pack(n_items: int, **citation_kw: object) -> Pack:
    items = [
        PackItem(
            passage_id=f"p{i}",
            position=i,
            note="Who else lived in the home?" if i == 1 else "",
            text=f"{i}.1 {FINDING}",
            heading_path=["Findings"],
            themes=["unseen_men", "injuries_to_babies"],
            citation=_citation(1 + i % 3, **citation_kw),  # type: ignore[arg-type]
            added_at="2026-01-01T00:00:00+00:00",
        )
        for i in range(1, n_items + 1)
    ]
    return Pack(
        id="ptest",
        title="Bruising in babies (fictional)",
        description="",
        created_at="x",
        updated_at="x",
        item_count=len(items),
        items=items,
    )


def _pdf_pages(content: bytes) -> tuple[list[str], list[str], list]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    texts = [p.extract_text() for p in reader.pages]
    links = [
        str(a.get_object()["/A"]["/URI"])
        for p in reader.pages
        for a in (p.get("/Annots") or [])
        if a.get_object().get("/A", {}).get("/URI")
    ]
    return texts, links, list(reader.pages)


def test_citations_link_publishers_never_this_server() -> None:
    pdf = _citation(1, source_url="https://harrowfield.example.org/scr-baby-a.pdf")
    assert cited_url(pdf, None) == "https://harrowfield.example.org/scr-baby-a.pdf#page=4"
    html = _citation(1, fmt="html", source_url="https://harrowfield.example.org/scr")
    assert cited_url(html, None) == "https://harrowfield.example.org/scr"
    assert html.place == "para. 11" and pdf.place == "p. 4"
    local = _citation(1, source_url="http://127.0.0.1:8000/api/reports/r0001/original")
    assert report_url(local, None) is None
    assert report_url(local, "https://reviews.example.org/") == (
        "https://reviews.example.org/reports/r0001/original"
    )
    assert cited_url(local, "https://reviews.example.org") == (
        "https://reviews.example.org/reports/r0001/original#page=4"
    )
    assert site_original_href(pdf) == "/api/reports/r0001/original#page=4"
    assert site_original_href(html) == "/api/reports/r0001/original"
    for url in ("http://localhost/x", "http://127.0.0.1/x", "https://a.example/api/x", "file:///x"):
        assert not is_public(url)


@pytest.mark.parametrize("n_items", range(2, 16))
def test_exports_pdf_a4_numbered_without_near_empty_last_page(n_items: int) -> None:
    pack = _pack(n_items, source_url="https://harrowfield.example.org/scr.pdf")
    file = export_pack(pack, "pdf", public_base_url="https://reviews.example.org")
    texts, links, pages = _pdf_pages(file.content)
    for i, (text, page) in enumerate(zip(texts, pages, strict=True), start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert f"Page {i} of {len(pages)}" in text
    if len(pages) > 1:
        lines = [ln for ln in texts[-1].splitlines() if ln.strip() and "Page " not in ln]
        assert len(lines) >= 5, f"{n_items} items: last page holds {lines}"
    assert links and all(u.startswith("https://harrowfield.example.org/") for u in links)
    assert not LOCAL.search("\n".join(texts))


def test_exports_pdf_keeps_headings_with_their_text() -> None:
    texts, _, _ = _pdf_pages(export_pack(_pack(9), "pdf").content)
    for text in texts[:-1]:
        body = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("Page ")]
        assert not re.fullmatch(r"\d+\. Serious Case Review: .*", body[-1]), body[-3:]


def test_exports_docx_a4_styles_quotes_and_links() -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.shared import Mm

    file = export_pack(
        _pack(3, fmt="html", source_url="https://harrowfield.example.org/scr"), "docx"
    )
    document = docx.Document(io.BytesIO(file.content))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1)
    assert abs(section.page_height - Mm(297)) < Mm(1)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[-1] == "References" and len(headings) == 4
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == 3 and document.styles["Quote"].font.italic is False
    text = "\n".join(p.text for p in document.paragraphs)
    assert "para. 12" in text  # a web page is cited by paragraph
    links = [
        r.target_ref
        for r in document.part.rels.values()
        if r.reltype == RELATIONSHIP_TYPE.HYPERLINK
    ]
    assert links and all(u == "https://harrowfield.example.org/scr" for u in links)


def test_exports_without_a_known_link_cite_no_address() -> None:
    pack = _pack(2, source_url="http://127.0.0.1:8000/api/reports/r0001/original")
    for fmt in ("md", "csv"):
        content = export_pack(pack, fmt).content.decode("utf-8-sig")
        assert not LOCAL.search(content), fmt


def _briefing(words_per_extract: int, extracts: int) -> Briefing:
    refs = [
        BriefingReference(
            number=n,
            report_id=f"r{n:04d}",
            title=f"Review {n} (fictional)",
            partnership="Kelderby Safeguarding Children Partnership",
            year=2021,
            review_type="lcspr",
            url=f"https://kelderby.example.org/review-{n}.pdf",
        )
        for n in (1, 2)
    ]
    text = " ".join((FINDING + " ") for _ in range(3)).split()
    return Briefing(
        title="Unseen men (fictional)",
        background="Kelderby (2021) [1]: " + shorten(FINDING, 50),
        why_it_matters="The same gaps recur. " + shorten(FINDING, 40),
        extracts=[
            BriefingExtract(
                text=" ".join(text[:words_per_extract]),
                reference=1 + i % 2,
                citation=_citation(1 + i % 2),
                url=f"https://kelderby.example.org/review-{1 + i % 2}.pdf#page=4",
            )
            for i in range(extracts)
        ],
        actions=[
            f"Health visitors: ask who lives in the home ([{n}], recommendation 2, p. 9)"
            for n in (1, 2)
        ],
        questions=["Who else lives in the homes of the babies we visit?"],
        further_information=[f"[{r.number}] Kelderby (2021) {r.title}. {r.url}" for r in refs],
        references=refs,
    )


def test_briefing_pdf_two_sides_with_every_section_in_order() -> None:
    briefing = _briefing(55, 6)
    assert briefing.words() < 900
    texts, links, pages = _pdf_pages(export_briefing(briefing, "pdf").content)
    assert 1 <= len(pages) <= 2
    text = "\n".join(texts)
    sections = [
        "Background",
        "Why it matters",
        "What the reviews found",
        "What to do",
        "Questions for reflection",
        "Further information",
    ]
    at = [text.find(f"\n{s}\n") for s in sections]
    assert all(a > 0 for a in at) and at == sorted(at)
    assert len(re.sub(r"Page \d+ of \d+", "", text).split()) < 900
    assert "https://kelderby.example.org/review-1.pdf" in links


def test_briefing_csv_names_each_row_section() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(export_briefing(_briefing(20, 2), "csv").content.decode("utf-8-sig"))
        )
    )
    assert [r["section"] for r in rows[:3]] == ["Title", "Background", "Why it matters"]
    found = [r for r in rows if r["section"] == "What the reviews found"]
    assert len(found) == 2 and all(r["citation"].startswith("[") for r in found)
    assert all(r["url"].startswith("https://") for r in found)


@pytest.mark.parametrize(
    ("recommendation", "point"),
    [
        (
            "The partnership should seek assurance that fathers are assessed.",
            "The partnership: seek assurance that fathers are assessed.",
        ),
        (
            "That health visitors must ask who lives in the home.",
            "Health visitors: ask who lives in the home.",
        ),
        (
            "Findings should be shared with the school.",
            "Findings should be shared with the school.",
        ),
        ("review the escalation policy.", "Review the escalation policy."),
    ],
)
def test_briefing_recommendation_as_practice_point(recommendation: str, point: str) -> None:
    assert _as_practice_point(recommendation) == point


def test_shorten_keeps_whole_sentences_and_drops_paragraph_numbers() -> None:
    first, second = FINDING.split(". ")[:2]
    assert shorten("2.1 " + FINDING, 41) == f"{first}. {second}."  # 17 + 24 words
    assert shorten("2.1 " + FINDING, 40) == f"{first}."
    long = "word " * 80
    assert shorten(long, 10) == "word " * 9 + "word…"
