"""Metadata and recommendations extracted from rendered reports, against the sample corpus's
front matter (the facts each fictional report states in its text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from samples.render import build_samples, parse_review
from scrkb.ingest.extract import extract
from scrkb.models import ExtractedDoc, Line, PageText
from scrkb.nlp.annotate import detect_title
from scrkb.nlp.metadata import age_band, extract_metadata
from scrkb.nlp.recommendations import extract_recommendations
from scrkb.nlp.structure import structure

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["review_type", "nation", "year", "child_code", "age_band", "outcome"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    results = []
    for path in build_samples(ROOT / "samples" / "reviews", out):
        review = parse_review(ROOT / "samples" / "reviews" / f"{path.stem}.md")
        doc = extract(path)
        structured = structure(doc)
        results.append((review, extract_metadata(doc, structured, detect_title(doc)), structured))
    return results


@pytest.mark.parametrize("field", FIELDS)
def test_metadata_fields_match_every_sample_report(extracted, field):
    wrong = [
        (review.meta["slug"], getattr(meta, field), review.meta[field])
        for review, meta, _ in extracted
        if str(getattr(meta, field)).lower() != str(review.meta[field]).lower()
    ]
    assert wrong == []


def test_metadata_partnership_and_evidence(extracted):
    for review, meta, _ in extracted:
        assert meta.partnership == review.meta["partnership"], review.meta["slug"]
        for name in ("review_type", "year", "child_code", "age"):
            ev = meta.evidence[name]
            assert ev.evidence, (review.meta["slug"], name)


def test_metadata_sex_is_right_or_left_empty(extracted):
    # (a thematic review of several babies states no single sex: not scored)
    found = [
        (r.meta["sex"], m.sex)
        for r, m, _ in extracted
        if m.sex is not None and r.meta.get("sex") is not None
    ]
    assert len(found) >= 20
    assert all(expected == got for expected, got in found)


def test_metadata_absent_facts_stay_none():
    doc = ExtractedDoc(
        source="x",
        sha256="0",
        format="text",
        size_bytes=1,
        page_count=1,
        pages=[
            PageText(
                number=1,
                lines=[
                    Line(text="Notes from a team meeting", new_block=True),
                    Line(text="We discussed the rota.", new_block=True),
                ],
            )
        ],
    )
    meta = extract_metadata(doc, structure(doc))
    assert (meta.review_type, meta.year, meta.child_code, meta.age_band, meta.outcome) == (
        None,
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("years", "band"),
    [
        (0.1, "under 1"),
        (0.99, "under 1"),
        (1, "1-4"),
        (4.9, "1-4"),
        (5, "5-9"),
        (10, "10-14"),
        (15, "15-17"),
        (17.5, "15-17"),
        (18, None),
        (None, None),
    ],
)
def test_metadata_age_bands(years, band):
    assert age_band(years) == band


def test_recommendations_numbered_like_the_source(extracted):
    checked = 0
    for review, _, structured in extracted:
        source = (ROOT / "samples" / "reviews" / f"{review.meta['slug']}.md").read_text()
        numbers = re.findall(r"^Recommendation (\d+)[:.]", source, re.M)
        if not numbers:
            continue
        recs = extract_recommendations(structured)
        assert [r.number for r in recs][: len(numbers)] == numbers, review.meta["slug"]
        assert all(len(r.text.split()) >= 5 for r in recs)
        checked += 1
    assert checked >= 15


def _sentences(*texts):
    from scrkb.nlp.metadata import _Sentence

    return [_Sentence(t, 1, "body") for t in texts]


def test_metadata_review_type_traps():
    from scrkb.nlp.metadata import _age, _review_type

    # resuscitation is not a Welsh child practice review
    assert _review_type("", _sentences("Paramedics started CPR at the scene."))[0] is None
    # a local review that notified the national Panel is still local
    kind, _, nation = _review_type(
        "",
        _sentences(
            "The rapid review was sent to the Child Safeguarding Practice Review Panel.",
            "The Panel agreed that a local child safeguarding practice review should be held.",
        ),
    )
    assert (kind, nation) == ("lcspr", "England")
    # the report's own type, named first, wins a tie with a comparison
    kind, _, nation = _review_type(
        "",
        _sentences(
            "This serious case review was commissioned by Eastvale LSCB.",
            "Unlike a significant case review in Scotland, it had no practitioner event.",
        ),
    )
    assert (kind, nation) == ("scr", None)
    # an age before a person noun belongs to that person
    age, years = _age(
        _sentences(
            "Child A lived with his 16-year-old mother.",
            "Child A was two years old when he was injured.",
        ),
        "Child A",
    )
    assert (age.value, years) == ("two years old", 2.0)


def test_recommendations_traps():
    from scrkb.models import Block, StructuredDoc

    def block(text, path, kind="recommendations"):
        return Block(
            kind="paragraph",
            text=text,
            heading_path=path,
            section_kind=kind,
            page_start=1,
            page_end=1,
            char_start=0,
            char_end=len(text),
        )

    recs = extract_recommendations(
        StructuredDoc(
            text="",
            blocks=[
                block(
                    "Recommendation 4 of the 2016 serious case review was not implemented by the "
                    "trust.",
                    ["5. Analysis"],
                    "body",
                ),
                block(
                    "1. It is recommended that the ICB should review its bruising protocol.",
                    ["8. Recommendations"],
                ),
                block(
                    "That the ICB should audit referrals from the emergency department each quarter.",
                    ["8. Findings and Recommendations"],
                ),
                block(
                    "Recommendation 2: The police should share domestic abuse notifications with "
                    "health visitors.",
                    ["8. Recommendations"],
                ),
            ],
        )
    )
    assert [r.number for r in recs] == ["1", "3", "2"]
    assert [r.addressee for r in recs] == ["ICB", "ICB", "The police"]


# --------------------------------------------------------------------------- real forms
@pytest.mark.parametrize(
    ("title_page", "year"),
    [
        ("Serious Case Review\nChild J\n26.11.19", 2019),
        ("Child Practice Review\n13/03/2018", 2018),
        ("Learning Review\nChild B\nOctober 2016", 2016),
        (
            "Serious Case Review\nChild J\nDeath of a child in March 2015\nPublished October 2016",
            2016,
        ),
        ("Serious Case Review\nIncident: March 2017\nDecember 2018", 2018),
        ("Overview report\nPublished: 4th May 2021", 2021),
        ("Child S\nFinal report 2019", 2019),
        ("CPR Child W\nNWSCB 02/2015", None),
        ("Child K\nDate of incident: 05/08/2021\nPublication date: 19 September 2023", 2023),
        ("Child U\nIncident date: 26.11.23\nPublished 14 May 2025", 2025),
        ("Child S\nDate of death: 18.12.08\nPublished September 2010", 2010),
        ("Baby J\nD.O.B. 11/07/2005 D.O.D. 29/08/2005\nDate of publication: November 2006", 2006),
        ("Baby V\nFinal version 4: 12 January 2015\nPublished 26.02.15", 2015),
    ],
)
def test_metadata_publication_year_from_title_page(title_page: str, year: int | None) -> None:
    from scrkb.nlp.metadata import _year

    found = _year(title_page, "")
    assert (found.value if found else None) == year


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("Child D was aged five months when she died.", "under 1"),
        ("Baby K died at the age of 12 weeks.", "under 1"),
        ("The review concerns a boy of twelve who was injured.", "10-14"),
        ("Her brother, aged seven, was at school. Child D was a two-year-old girl.", "1-4"),
        (
            "His father, who was nineteen, had been imprisoned in 2011. Child P was aged four.",
            "1-4",
        ),
        ("Child D, a boy who was two years and eight months old when he died.", "1-4"),
    ],
)
def test_metadata_child_age_not_a_relatives(text: str, band: str) -> None:
    from scrkb.nlp.metadata import _age, age_band

    code = next((c for c in ("Child D", "Baby K", "Child P") if c in text), None)
    _, years = _age(_sentences(*text.split(". ")), code)
    assert age_band(years) == band


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Child S was injured (not fatally) in a fall.", "serious harm"),
        ("Child S suffered a non-fatal stab wound.", "serious harm"),
        ("Child S was admitted with head injuries. Child S died two days later.", "died"),
        ("Child S survived with life-changing injuries.", "serious harm"),
        ("Child S was pronounced dead at the hospital.", "died"),
        (
            "Child S had been given drugs and had been sexually assaulted by several men.",
            "serious harm",
        ),
        ("Child S told her teacher that a relative had been sexually abusing her.", "serious harm"),
    ],
)
def test_metadata_outcome(text: str, outcome: str) -> None:
    from scrkb.nlp.metadata import _outcome

    found = _outcome(_sentences(*text.split(". ")), "Child S")
    assert found is not None and found.value == outcome


def test_metadata_english_learning_review_of_an_unknown_partnership() -> None:
    from scrkb.models import Evidence
    from scrkb.nlp.metadata import _nation

    learning_review = Evidence(value="lr", evidence="Learning Review")
    found = _nation("Scotland", learning_review, "", "Kirkmoor Safeguarding Children Partnership")
    assert found is not None and found.value == "England"


def test_metadata_young_man_is_the_child() -> None:
    from scrkb.nlp.metadata import _age, age_band

    _, years = _age(_sentences("Child E was a sixteen-year-old young man who died."), "Child E")
    assert age_band(years) == "15-17"


def test_metadata_title_block_keeps_a_date_line() -> None:
    from scrkb.nlp.metadata import _title_page_text, _year

    lines = [
        "Belfast",
        "Safeguarding Board for Northern Ireland",
        "Case Management Review",
        "13 March 2014",
        "Introduction",
        "This review concerns a child. " * 10,
    ]
    doc = ExtractedDoc(
        source="/x.doc",
        sha256="0" * 64,
        format="doc",
        size_bytes=1,
        page_count=1,
        pages=[PageText(number=1, lines=[Line(text=t) for t in lines])],
    )
    title_page = _title_page_text(doc)
    assert "13 March 2014" in title_page and _year(title_page, "").value == 2014


def test_metadata_a_young_woman_of_seventeen_who_died() -> None:
    from scrkb.nlp.metadata import _age, _outcome, age_band

    sentences = _sentences(
        "This review considers the death of a young woman of seventeen, who died from an "
        "overdose in the spring of 2024."
    )
    _, years = _age(sentences, None)
    assert age_band(years) == "15-17"
    assert _outcome(sentences, None).value == "died"


def test_metadata_a_cover_set_in_capitals_names_its_board() -> None:
    """An English board's cover in capitals; the text names the Area Child Protection
    Committee (England and Wales before 2006, not Scotland's committees)."""
    lines = [
        "KIRKHOLME LOCAL SAFEGUARDING",
        "CHILDREN BOARD",
        "SERIOUS CASE REVIEW",
        "BABY J",
        "Date of publication: November 2006",
    ]
    body = (
        "1.2 The review was commissioned by the Kirkholme Area Child Protection Committee "
        "shortly before it was replaced. Baby J was seven weeks old when he died. "
    ) * 3
    doc = ExtractedDoc(
        source="/x.pdf",
        sha256="0" * 64,
        format="pdf",
        size_bytes=1,
        page_count=2,
        pages=[
            PageText(number=1, lines=[Line(text=t) for t in lines]),
            PageText(number=2, lines=[Line(text=body)]),
        ],
    )
    meta = extract_metadata(doc, structure(doc))
    assert meta.partnership == "Kirkholme Local Safeguarding Children Board"
    assert meta.nation == "England"
    assert (meta.child_code, meta.year, meta.outcome) == ("Baby J", 2006, "died")


def test_metadata_welsh_number_codes() -> None:
    from scrkb.nlp.metadata import _child_code

    found = _child_code("WGSB 01/2024: Child 1", [])
    assert found is not None and found.value == "Child 1"
