"""Passage splitting: sizes, sections, exact offsets, pages and stable ids."""

from __future__ import annotations

import pytest

from scrkb.models import ExtractedDoc, Line, PageText, StructuredDoc
from scrkb.nlp.passages import MAX_WORDS, passage_id, split_passages, split_sentences
from scrkb.nlp.structure import structure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The GP saw him. He was well.", ["The GP saw him.", "He was well."]),
        ("Dr. Patel saw him. He was well.", ["Dr. Patel saw him.", "He was well."]),
        (
            "Agencies, e.g. Police and health, met. Then it ended.",
            ["Agencies, e.g. Police and health, met.", "Then it ended."],
        ),
        (
            "This is set out at para. 3.2 above. It was agreed.",
            ["This is set out at para. 3.2 above.", "It was agreed."],
        ),
        (
            "The report by J. Smith was late. It arrived in May.",
            ["The report by J. Smith was late.", "It arrived in May."],
        ),
        ("He was seen at 10 a.m. Nobody else came.", ["He was seen at 10 a.m. Nobody else came."]),
        ('She said "I am fine." The visit ended.', ['She said "I am fine."', "The visit ended."]),
        (
            "It ended in 2019. 4.3 The next episode began.",
            ["It ended in 2019.", "4.3 The next episode began."],
        ),
        ("Was the baby seen? No.", ["Was the baby seen?", "No."]),
    ],
)
def test_passages_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def sentence(n: int) -> str:
    return (
        f"In episode {n} the health visitor recorded that the mother seemed low in mood "
        "and that the baby had not been brought to the clinic."
    )


def docx(paragraphs: list[tuple[int | None, str]]) -> ExtractedDoc:
    lines = [Line(text=t, style_level=lvl, new_block=True) for lvl, t in paragraphs]
    return ExtractedDoc(
        source="/tmp/x.docx",
        sha256="0" * 64,
        format="docx",
        size_bytes=1,
        page_count=1,
        pages=[PageText(number=1, lines=lines)],
    )


def report() -> StructuredDoc:
    long_para = "6.1 " + " ".join(sentence(n) for n in range(1, 31))  # ~ 720 words
    return structure(
        docx(
            [
                (None, "Serious Case Review: Child W"),
                (1, "1. Introduction"),
                (None, "1.1 " + sentence(1)),
                (None, "1.2 " + sentence(2)),
                (None, "1.3 " + sentence(3)),
                (None, "1.4 " + sentence(4)),
                (1, "2. Terms of reference"),
                (None, "2.1 " + sentence(5) + " " + sentence(6) + " " + sentence(7)),
                (1, "6. Analysis"),
                (2, "6.1 Neglect"),
                (None, long_para),
                (2, "6.2 Not brought"),
                (None, "6.2.1 The GP did not follow up."),
                (2, "6.3 Fathers"),
                (None, "6.3.1 " + sentence(8) + " " + sentence(9) + " " + sentence(10)),
                (1, "7. Recommendations"),
                (None, "Recommendation 1: The partnership should audit not-brought policies."),
                (None, "Recommendation 1: The partnership should audit not-brought policies."),
            ]
        )
    )


def test_passages_split_report() -> None:
    doc = report()
    passages = split_passages(doc, "w")
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    for p in passages:
        assert doc.text[p.char_start : p.char_end] == p.text
        assert len(p.text.split()) <= MAX_WORDS
        assert p.id.startswith(passage_id("w", p.text))
    summary = [(p.heading_path, p.section_kind, len(p.text.split())) for p in passages]
    assert summary == [
        # the title line alone in front matter is no passage
        (["1. Introduction"], "body", 104),
        (["2. Terms of reference"], "terms_of_reference", 76),
        # a 761-word paragraph in four even parts of whole sentences
        (["6. Analysis", "6.1 Neglect"], "body", 201),
        (["6. Analysis", "6.1 Neglect"], "body", 200),
        (["6. Analysis", "6.1 Neglect"], "body", 200),
        # the 7-word section "6.2" joins the end of its sibling section, heading included
        (["6. Analysis", "6.1 Neglect"], "body", 160),
        (["6. Analysis", "6.3 Fathers"], "body", 76),
        (["7. Recommendations"], "recommendations", 16),
    ]
    assert all(p.text.endswith("clinic.") for p in passages[2:5])
    assert passages[5].text.endswith(
        "clinic.\n\n6.2 Not brought\n\n6.2.1 The GP did not follow up."
    )
    assert passages[3].text.startswith("In episode 9 ")


def test_passages_know_the_paragraph_they_start_in() -> None:
    """A web page is cited by paragraph: the n-th paragraph as a reader counts them
    (headings not counted), not the passage's own number."""
    doc = report()
    passages = split_passages(doc, "w")
    paragraphs = [b for b in doc.blocks if b.kind == "paragraph"]
    for p in passages:
        block = paragraphs[p.paragraph - 1]
        assert block.char_start <= p.char_start < block.char_end
    # the title line is paragraph 1; "1.1" is 2; the four parts of 6.1's long paragraph
    # all start in paragraph 7; "6.3.1" is 9; the first recommendation 10
    assert [p.paragraph for p in passages] == [2, 6, 7, 7, 7, 7, 9, 10]
    assert [p.ordinal + 1 for p in passages] != [p.paragraph for p in passages]


def test_passages_ids_are_stable_and_unique() -> None:
    doc = structure(
        docx(
            [
                (1, "Recommendations"),
                (None, "Recommendation 1: " + sentence(1)),
                (1, "Appendix 1"),
                (None, "Recommendation 1: " + sentence(1)),
            ]
        )
    )
    first = split_passages(doc, "r1")
    again = split_passages(
        structure(
            docx(
                [
                    (1, "Recommendations"),
                    (None, "Recommendation 1: " + sentence(1)),
                    (1, "Appendix 1"),
                    (None, "Recommendation 1: " + sentence(1)),
                ]
            )
        ),
        "r1",
    )
    assert [p.id for p in first] == [p.id for p in again]
    base = passage_id("r1", first[0].text)
    assert [p.id for p in first] == [base, f"{base}-2"]
    assert len(base) == len("r1-") + 12


def test_passages_page_span_follows_page_breaks() -> None:
    words = " ".join(sentence(n) for n in range(1, 21)).split()  # 500 words
    lines_p1 = [Line(text="1.1 " + " ".join(words[:110]), top=100, left=72, size=11)]
    lines_p2 = [Line(text=" ".join(words[110:]), top=100, left=72, size=11)]
    doc = structure(
        ExtractedDoc(
            source="/tmp/x.pdf",
            sha256="0" * 64,
            format="pdf",
            size_bytes=1,
            page_count=2,
            pages=[
                PageText(number=1, lines=lines_p1, height=842),
                PageText(number=2, lines=lines_p2, height=842),
            ],
        )
    )
    assert [(b.page_start, b.page_end) for b in doc.blocks] == [(1, 2)]
    passages = split_passages(doc, "p")
    assert [(p.page_start, p.page_end) for p in passages] == [(1, 2), (2, 2), (2, 2)]


def test_passages_empty_document() -> None:
    assert split_passages(StructuredDoc(text="", blocks=[]), "e") == []
