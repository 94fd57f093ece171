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


def test_reference_pages_and_exports_use_the_same_labels():
    from scrkb.services import exports
    from scrkb.web import render, views

    assert exports.REVIEW_TYPES is REVIEW_TYPES
    assert views.REVIEW_TYPES is REVIEW_TYPES
    assert render.environment().filters["review_type"] is review_type_label
