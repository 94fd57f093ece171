"""One vocabulary: crawl classification, metadata, the web pages and the exports agree."""

from __future__ import annotations

import pytest

from scrkb.ingest.crawl.classify import review_type as crawl_review_type
from scrkb.ingest.crawl.classify import url_words
from scrkb.nlp.metadata import _review_type as metadata_review_type
from scrkb.reference import (
    AGE_BAND_LABELS,
    AGE_BANDS,
    REVIEW_TYPE_NAMES,
    REVIEW_TYPES,
    review_type_label,
)

# How titles name each review type, and the code and nation both readers must give it.
TITLES = [
    ("Single Unified Safeguarding Review: Child A", "susr", "Wales"),
    ("SUSR Child A", "susr", "Wales"),
    ("Child Practice Review: Baby B", "cpr", "Wales"),
    ("CPR Baby B", "cpr", "Wales"),
    ("Case Management Review: Child C", "cmr", "Northern Ireland"),
    ("CMR Child C", "cmr", "Northern Ireland"),
    ("Significant Case Review: Child D", "scr", "Scotland"),
    ("Learning Review: Child E", "lr", "Scotland"),
    ("National Child Safeguarding Practice Review: sudden infant deaths", "national", "England"),
    ("Local Child Safeguarding Practice Review: Child F", "lcspr", "England"),
    ("Child Safeguarding Practice Review: Child F", "lcspr", "England"),
    ("LCSPR Child F", "lcspr", "England"),
    ("Serious Case Review: Baby G", "scr", None),
    ("SCR Baby G", "scr", None),
    ("Rapid Review: Child H", "rapid", "England"),
]


@pytest.mark.parametrize(("title", "code", "nation"), TITLES)
def test_reference_crawl_and_metadata_code_every_review_type_alike(title, code, nation):
    kind, _evidence, implied = metadata_review_type(title, [])
    assert (kind, implied) == (code, nation)
    assert crawl_review_type(title) == code
    url = "/docs/" + title.lower().replace(" ", "-").replace(":", "") + ".pdf"
    assert crawl_review_type(url_words(url)) == code  # as a file name says it


def test_reference_every_name_is_tested_and_every_code_has_a_label():
    assert {n.code for n in REVIEW_TYPE_NAMES} == {code for _, code, _ in TITLES}
    assert {n.code for n in REVIEW_TYPE_NAMES} <= set(REVIEW_TYPES)
    assert [b for b in AGE_BANDS if b not in AGE_BAND_LABELS] == []
    assert review_type_label("scr") == "Serious case review"
    assert review_type_label("xyz") == "XYZ" and review_type_label(None) == "Review type not known"


def test_reference_pages_use_the_same_labels():
    from scrkb.web import render

    assert render.environment().filters["review_type"] is review_type_label


@pytest.mark.parametrize("review_type", ["lcspr", "cpr", "other", None, "xyz"])
def test_reference_one_report_reads_the_same_in_every_reference_list(review_type):
    """A fictional report referenced in a briefing, a pack export and the precedent page's
    citation list: a trainer pasting one list beside another sees one form, never two."""
    from scrkb.models import (
        BriefingReference,
        Citation,
        Pack,
        PackItem,
        Precedent,
        ReportMatch,
        ReportSummary,
    )
    from scrkb.services.briefing import reference_text
    from scrkb.services.exports import pack_blocks
    from scrkb.web.routes.precedent import citation_list

    facts = {
        "title": "Child Safeguarding Practice Review: Child T",
        "year": 2023,
        "partnership": "Northfield Safeguarding Children Partnership",
        "review_type": review_type,
    }
    url = "https://northfield.example/child-t.pdf"
    briefing = reference_text(BriefingReference(number=1, report_id="t", url=url, **facts))
    citation = Citation(report_id="t", page=3, page_end=3, source_url=url, **facts)
    item = PackItem(
        passage_id="t-0001",
        position=1,
        note="",
        text="The review found...",
        heading_path=["Findings"],
        themes=[],
        citation=citation,
        added_at="2026",
    )
    pack = Pack.model_construct(title="Child T", description="", items=[item])
    refs = next(b for b in pack_blocks(pack, None) if b.kind == "refs").items
    summary = ReportSummary.model_construct(id="t", source_url=url, **facts)
    precedent = Precedent.model_construct(reports=[ReportMatch.model_construct(report=summary)])
    assert refs == [(f"[1] {briefing}", url)]
    assert citation_list(precedent) == [f"{briefing} {url}"]
    assert briefing.startswith(
        "Northfield Safeguarding Children Partnership (2023) Child Safeguarding"
    )
    assert "not known" not in briefing and "XYZ" not in briefing


# --------------------------------------------------------------------------- publishers
def test_reference_gazetteer_covers_every_nation_and_kind() -> None:
    from collections import Counter

    from scrkb.reference import NATIONS, publishers

    pubs = publishers()
    ids = [p.id for p in pubs]
    assert len(ids) == len(set(ids))
    assert {p.nation for p in pubs} == set(NATIONS)
    kinds = Counter((p.nation, p.kind) for p in pubs)
    assert kinds[("England", "partnership")] >= 130
    assert kinds[("Wales", "board")] == 6
    assert kinds[("Scotland", "committee")] >= 30
    assert kinds[("Northern Ireland", "sbni")] == 1 and kinds[("England", "panel")] == 1


@pytest.mark.parametrize(
    ("text", "publisher_id", "nation", "value"),
    [
        ("Barnsley Safeguarding\nChildren Partnership", "barnsley", "England",
         "Barnsley Safeguarding Children Partnership"),
        ("Powys Local Safeguarding\nChildren Board", "mid-and-west-wales", "Wales",
         "Powys Local Safeguarding Children Board"),
        ("published by the Wiltshire LSCB in 2014", "wiltshire", "England",
         "Wiltshire Local Safeguarding Children Board"),
        ("CYSUR Mid and West Wales Safeguarding Children Board", "mid-and-west-wales", "Wales",
         "CYSUR Mid and West Wales Safeguarding Children Board"),
        ("Fife Child Protection Committee", "fife", "Scotland", "Fife Child Protection Committee"),
        ("Safeguarding Board for Northern Ireland", "sbni", "Northern Ireland",
         "Safeguarding Board for Northern Ireland"),
        ("Brighton & Hove LSCB", "brighton-and-hove", "England",
         "Brighton and Hove Local Safeguarding Children Board"),
    ],
)  # fmt: skip
def test_reference_find_publishers(text: str, publisher_id: str, nation: str, value: str) -> None:
    from scrkb.reference import find_publishers

    [found, *_] = find_publishers(text)
    assert (found.publisher.id, found.publisher.nation, found.value) == (
        publisher_id,
        nation,
        value,
    )


def test_reference_find_publishers_needs_a_body_word() -> None:
    from scrkb.reference import find_publishers

    assert find_publishers("The family moved from Barnsley to Leeds in 2019.") == []
    assert find_publishers("Kirkmoor Safeguarding Children Partnership") == []  # not a real one
