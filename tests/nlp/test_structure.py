"""Structure rebuilding: page furniture gone, headings found, paragraphs rebuilt."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scrkb.models import ExtractedDoc, Line, PageText, StructuredDoc
from scrkb.nlp.structure import section_kind_for, structure

BODY, HEAD, TITLE = 11.0, 16.0, 24.0


def pdf_page(
    number: int,
    rows: list[tuple[str, str]],
    *,
    header: str | None = None,
    footer: str | None = None,
) -> PageText:
    """A page laid out as a PDF extractor reports it.

    ``rows`` are (kind, text): "p" a body line, "gap" then "p" a new paragraph, "h" a
    16pt bold heading, "t" a 24pt title line, "fn" a 8pt footnote line.
    """
    lines: list[Line] = []
    if header:
        lines.append(Line(text=header, top=36, left=72, size=8))
    top = 90.0
    for kind, text in rows:
        if kind == "gap":
            top += 8
            continue
        if kind == "h":
            top += 10
            lines.append(Line(text=text, top=top, left=72, size=HEAD, bold=True))
            top += 28
        elif kind == "t":
            lines.append(Line(text=text, top=top, left=72, size=TITLE, bold=True))
            top += 40
        elif kind == "fn":
            lines.append(Line(text=text, top=top + 40, left=72, size=8))
            top += 10
        else:
            lines.append(Line(text=text, top=top, left=72, size=BODY))
            top += 15
    if footer:
        lines.append(Line(text=footer, top=806, left=280, size=8))
    return PageText(number=number, lines=lines, width=595, height=842)


def make_doc(pages: list[PageText], fmt: str = "pdf") -> ExtractedDoc:
    return ExtractedDoc(
        source="/tmp/x",
        sha256="0" * 64,
        format=fmt,
        size_bytes=1,
        page_count=len(pages),
        pages=pages,
    )  # type: ignore[arg-type]


HDR = "Serious Case Review: Child Q"


def pdf_report() -> ExtractedDoc:
    return make_doc(
        [
            pdf_page(
                1,
                [
                    ("t", "Serious Case Review: Child Q"),
                    ("p", "Harbridge Safeguarding Children Partnership"),
                    ("gap", ""),
                    ("p", "March 2021"),
                ],
            ),
            pdf_page(
                2,
                [
                    ("h", "Contents"),
                    ("p", "1. Introduction ........................................ 3"),
                    ("p", "2. Terms of reference ................................ 3"),
                    ("p", "3. Findings ............................................... 4"),
                ],
                header=HDR,
                footer="Page 2 of 4",
            ),
            pdf_page(
                3,
                [
                    ("h", "1. Introduction"),
                    (
                        "p",
                        "1.1 This review was commissioned by Harbridge Safeguarding Children Partner-",
                    ),
                    (
                        "p",
                        "ship after Child Q, aged seven months, was admitted to hospital with a fractured",
                    ),
                    ("p", "femur. The assess-"),
                    ("gap", ""),
                    ("p", "1.2 The emergency department made a thorough assessment.12 The multi-"),
                    ("p", "agency panel met in May 2021 and agreed the scope set out below."),
                    ("h", "2. Terms of reference"),
                    (
                        "p",
                        "2.1 The review considered the pre-birth assessment, the health visiting",
                    ),
                    ("p", "service and the response to the follow-"),
                    ("fn", "12 Harbridge Hospital, emergency department records."),
                ],
                header=HDR,
                footer="Page 3 of 4",
            ),
            pdf_page(
                4,
                [
                    ("p", "up visits that the family did not attend in June 2021."),
                    ("h", "3. Findings"),
                    (
                        "p",
                        "3.1 Practitioners did not see the baby's father, who was living in the household.",
                    ),
                    ("gap", ""),
                    ("p", "\u2022 the health visitor did not ask who lived at the address;"),
                    ("p", "\u2022 the GP was not told of the first bruise."),
                ],
                header=HDR,
                footer="Page 4 of 4",
            ),
        ]
    )


def summary(doc: StructuredDoc) -> list[tuple[object, ...]]:
    return [
        (b.kind, b.text, b.level, b.heading_path, b.section_kind, b.page_start, b.page_end)
        for b in doc.blocks
    ]


def assert_offsets(doc: StructuredDoc) -> None:
    assert doc.text == "\n\n".join(b.text for b in doc.blocks)
    for b in doc.blocks:
        assert doc.text[b.char_start : b.char_end] == b.text


def test_structure_pdf_rebuilds_blocks() -> None:
    doc = structure(pdf_report())
    intro, tor, findings = "1. Introduction", "2. Terms of reference", "3. Findings"
    assert summary(doc) == [
        ("paragraph", "Serious Case Review: Child Q", None, [], "front", 1, 1),
        ("paragraph", "Harbridge Safeguarding Children Partnership", None, [], "front", 1, 1),
        ("paragraph", "March 2021", None, [], "front", 1, 1),
        ("heading", "Contents", 1, ["Contents"], "contents", 2, 2),
        ("heading", intro, 1, [intro], "body", 3, 3),
        (
            "paragraph",
            "1.1 This review was commissioned by Harbridge Safeguarding Children "
            "Partnership after Child Q, aged seven months, was admitted to hospital with a "
            "fractured femur. The assess-",
            None,
            [intro],
            "body",
            3,
            3,
        ),
        (
            "paragraph",
            "1.2 The emergency department made a thorough assessment. The "
            "multi-agency panel met in May 2021 and agreed the scope set out below.",
            None,
            [intro],
            "body",
            3,
            3,
        ),
        ("heading", tor, 1, [tor], "terms_of_reference", 3, 3),
        (
            "paragraph",
            "2.1 The review considered the pre-birth assessment, the health visiting "
            "service and the response to the follow-up visits that the family did not attend "
            "in June 2021.",
            None,
            [tor],
            "terms_of_reference",
            3,
            4,
        ),
        (
            "paragraph",
            "12 Harbridge Hospital, emergency department records.",
            None,
            [tor],
            "terms_of_reference",
            3,
            3,
        ),
        ("heading", findings, 1, [findings], "body", 4, 4),
        (
            "paragraph",
            "3.1 Practitioners did not see the baby's father, who was living in the household.",
            None,
            [findings],
            "body",
            4,
            4,
        ),
        (
            "paragraph",
            "\u2022 the health visitor did not ask who lived at the address;",
            None,
            [findings],
            "body",
            4,
            4,
        ),
        (
            "paragraph",
            "\u2022 the GP was not told of the first bruise.",
            None,
            [findings],
            "body",
            4,
            4,
        ),
    ]
    assert_offsets(doc)
    assert doc.stats["running_lines"] == 3  # "Child Q review" headers
    assert doc.stats["page_markers"] == 3  # "Page 2 of 4" footers, dropped wherever they stand
    assert doc.stats["contents_lines"] == 3
    assert doc.stats["footnote_markers"] == 1
    assert doc.stats["hyphenation_joined"] == 1  # Partner-ship
    assert doc.stats["hyphenation_kept"] == 2  # multi-agency, follow-up
    assert doc.stats["page_continuations"] == 1
    cont = doc.blocks[8]
    # "follow-up" straddles the break: page 4 is counted from the next word
    assert [doc.text[o : o + 6] for o in cont.page_breaks] == ["visits"]


def text_doc(pages: list[list[str]], fmt: str = "text") -> ExtractedDoc:
    return make_doc(
        [
            PageText(number=i + 1, lines=[Line(text=t) for t in lines])
            for i, lines in enumerate(pages)
        ],
        fmt,
    )


def test_structure_plain_text_with_underlines_and_page_numbers() -> None:
    doc = structure(
        text_doc(
            [
                ["Child R review", "==============", "", "Northbridge partnership", "April 2022"],
                ["Contents", "--------", "", "1. Introduction", "2. Scope", ""],
                [
                    "1. Introduction",
                    "===============",
                    "",
                    "1.1 Child R was fourteen when she went",
                    "missing from a children's home in the",
                    "town.",
                    "",
                    "3",
                ],
                [
                    "Child R review",
                    "2. Scope",
                    "========",
                    "",
                    "2.1 The review looked at the period",
                    "from 2019 to 2021.",
                    "",
                    "4",
                ],
            ]
        )
    )
    assert [(b.kind, b.text, b.section_kind) for b in doc.blocks] == [
        ("paragraph", "Child R review", "front"),
        ("paragraph", "Northbridge partnership April 2022", "front"),
        ("heading", "Contents", "contents"),
        ("heading", "1. Introduction", "body"),
        (
            "paragraph",
            "1.1 Child R was fourteen when she went missing from a children's home in the town.",
            "body",
        ),
        ("heading", "2. Scope", "terms_of_reference"),
        (
            "paragraph",
            "2.1 The review looked at the period from 2019 to 2021.",
            "terms_of_reference",
        ),
    ]
    assert doc.stats["contents_lines"] == 2
    assert doc.stats["page_numbers"] == 2
    assert_offsets(doc)


def test_structure_markup_levels_and_title() -> None:
    lines = [
        Line(text="Learning review: Young Person D", style_level=1, new_block=True),
        Line(text="1. Introduction", style_level=2, new_block=True),
        Line(text="1.1 Young Person D was sixteen.", new_block=True),
        Line(text="Key practice episode 1", style_level=3, new_block=True),
        Line(text="A short line that is not a heading", new_block=True),
        Line(text="Appendix 2: Glossary", style_level=2, new_block=True),
        Line(text="CSE: child sexual exploitation.", new_block=True),
    ]
    doc = structure(make_doc([PageText(number=1, lines=lines)], "docx"))
    assert [(b.kind, b.level, b.heading_path, b.section_kind) for b in doc.blocks] == [
        ("paragraph", None, [], "front"),
        ("heading", 1, ["1. Introduction"], "body"),
        ("paragraph", None, ["1. Introduction"], "body"),
        ("heading", 2, ["1. Introduction", "Key practice episode 1"], "body"),
        ("paragraph", None, ["1. Introduction", "Key practice episode 1"], "body"),
        ("heading", 1, ["Appendix 2: Glossary"], "glossary"),
        ("paragraph", None, ["Appendix 2: Glossary"], "glossary"),
    ]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ([], "front"),
        (["Contents"], "contents"),
        (["4. Terms of reference"], "terms_of_reference"),
        (["2. Scope and key lines of enquiry"], "terms_of_reference"),
        (["3. The review process"], "methodology"),
        (["Methodology"], "methodology"),
        (["Appendix 1"], "appendix"),
        (["Appendix 1", "Glossary of abbreviations"], "glossary"),
        (["8. Recommendations"], "recommendations"),
        (["References"], "references"),
        (["6. Analysis", "6.2 Neglect"], "body"),
        (["Section 5: Findings"], "body"),
    ],
)
def test_structure_section_kind_for(path: list[str], kind: str) -> None:
    assert section_kind_for(path) == kind


@pytest.mark.parametrize(
    ("line", "is_heading"),
    [
        ("4.2.1 The health visitor visited the home on 3 May and found the", False),
        ("3.2 Analysis", True),
        ("EXECUTIVE SUMMARY", True),
        ("Glossary", True),
        ("The baby was seen.", False),
    ],
)
def test_structure_plain_heading_candidates(line: str, is_heading: bool) -> None:
    doc = structure(
        text_doc(
            [
                [
                    "1.1 The family had lived in the area for two years before the baby was born.",
                    "",
                    line,
                    "",
                    "5.1 Practitioners did not record who was living in the household at the time.",
                ]
            ]
        )
    )
    kinds = [b.kind for b in doc.blocks]
    assert (kinds[1] == "heading") is is_heading


def test_structure_footnotes_between_page_halves_plain_text() -> None:
    doc = structure(
        text_doc(
            [
                [
                    "1.1 The school nurse saw the child twice in the autumn term and noted that",
                    "she appeared tired and",
                    "12 School nursing records, 2019.",
                ],
                ["withdrawn on both occasions.", "1.2 The next contact was in January."],
            ]
        )
    )
    assert [b.text for b in doc.blocks] == [
        "1.1 The school nurse saw the child twice in the autumn term and noted that she "
        "appeared tired and withdrawn on both occasions.",
        "12 School nursing records, 2019.",
        "1.2 The next contact was in January.",
    ]


def long_pdf(pages: int) -> ExtractedDoc:
    sentence = (
        "The health visitor recorded that the mother seemed low in mood and that the "
        "baby's weight had fallen across two centiles since the last contact."
    )
    out = [pdf_page(1, [("t", "Serious Case Review: Child Z")])]
    for n in range(2, pages + 1):
        rows: list[tuple[str, str]] = [("h", f"{n}. Section {n}")]
        for k in range(1, 9):
            words = f"{n}.{k} {sentence} {sentence}".split()
            for i in range(0, len(words), 13):
                rows.append(("p", " ".join(words[i : i + 13])))
            rows.append(("gap", ""))
        out.append(pdf_page(n, rows, header="Child Z overview", footer=f"Page {n} of {pages}"))
    return make_doc(out)


def test_structure_is_fast_on_a_long_report() -> None:
    from scrkb.nlp.passages import split_passages

    doc = long_pdf(60)
    structure(long_pdf(2))  # warm the word list
    start = time.perf_counter()
    passages = split_passages(structure(doc), "z")
    elapsed = time.perf_counter() - start
    assert passages
    assert elapsed < 1.0, elapsed


# --------------------------------------------------------------------------- end to end
REVIEW = Path(__file__).resolve().parents[2] / "samples" / "reviews" / "ivelsham-child-j-2010.md"


@pytest.mark.parametrize("fmt", ["pdf", "text", "docx", "html"])
def test_structure_end_to_end_rendered(tmp_path: Path, fmt: str) -> None:
    render = pytest.importorskip("samples.render")
    extract = pytest.importorskip("scrkb.ingest.extract")
    if not REVIEW.exists():
        pytest.skip("sample review missing")
    review = render.parse_review(REVIEW)
    renderer = {
        "pdf": render.render_pdf,
        "text": render.render_text,
        "docx": render.render_docx,
        "html": render.render_html,
    }[fmt]
    path = renderer(review, tmp_path / f"review.{ {'text': 'txt'}.get(fmt, fmt) }")
    doc = structure(extract.extract(path))
    assert_offsets(doc)
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "1. Introduction" in headings
    assert "7.2 Neglect" in headings
    assert "10. Recommendations" in headings
    kinds = {b.heading_path[-1]: b.section_kind for b in doc.blocks if b.kind == "heading"}
    assert kinds["3. Methodology"] == "methodology"
    assert kinds["4. Terms of reference"] == "terms_of_reference"
    assert kinds["10. Recommendations"] == "recommendations"
    neglect = next(b for b in doc.blocks if b.text.startswith("7.2.1 "))
    assert neglect.heading_path == ["7. Analysis", "7.2 Neglect"]
    for b in doc.blocks:  # no page furniture or contents entries left anywhere
        assert "Page " not in b.text or " of " not in b.text[b.text.find("Page ") :][:12]
        assert "....." not in b.text
    assert not any(
        b.text.startswith("Serious Case Review: Child J") and b.kind == "heading"
        for b in doc.blocks
    )
    paragraphs = [b for b in doc.blocks if b.kind == "paragraph" and b.section_kind != "front"]
    assert paragraphs
    assert all(b.text[0].isdigit() or b.text[0] in "\u2022NR" for b in paragraphs), [
        b.text[:30] for b in paragraphs if not (b.text[0].isdigit() or b.text[0] in "\u2022NR")
    ]
