"""Classification rules: link text, URL, heading and first page, with the reasons they give."""

from __future__ import annotations

import pytest

from scrkb.ingest.crawl.classify import (
    classify_first_page,
    classify_link,
    decide,
    is_document_url,
    name_code,
    review_type,
)


@pytest.mark.parametrize(
    ("text", "url", "heading", "kind"),
    [
        ("Child K Overview Report", "/docs/k.pdf", "", "review_report"),
        ("Family A executive summary", "/docs/a.pdf", "", "executive_summary"),
        ("Baby V SCR (published 18 February 2015)", "/x.pdf", "", "review_report"),
        ("LCSPR Child R", "/r.pdf", "", "review_report"),
        ("7 minute briefing – Child R", "/r7.pdf", "", "learning_brief"),
        ("Seven-minute briefing: neglect", "/n.pdf", "", "learning_brief"),
        ("Annual report 2022-23", "/ar.pdf", "Serious case reviews", "not_review"),
        ("Threshold document", "/t.pdf", "", "not_review"),
        ("Multi-agency procedures", "/p.pdf", "", "not_review"),
        ("Partnership newsletter (spring 2019)", "/n.pdf", "", "not_review"),
        ("Safeguarding Adults Review: Mr B", "/sar.pdf", "", "not_review"),
        ("Download the report (PDF, 1.2MB)", "/media/1/download.pdf", "Child G", "review_report"),
        ("Download", "/media/1/download.pdf", "Contact us", "unknown"),
        ("Report", "/docs/Child-K_overview-report.pdf", "", "review_report"),
        ("Child protection procedures", "/cp.pdf", "", "not_review"),  # not a name-code
    ],
)
def test_classify_link_kinds(text: str, url: str, heading: str, kind: str) -> None:
    assert classify_link(text, url, heading).kind == kind


@pytest.mark.parametrize(
    ("page", "kind"),
    [
        (
            "Alpha Partnership\nAnnual Report 2021-22\nIncludes learning from serious case reviews",
            "not_review",
        ),
        ("Beta LSCB\nSerious Case Review Family D\nExecutive summary", "executive_summary"),
        ("7 minute briefing\nChild B", "learning_brief"),
        ("Gamma\nChild Safeguarding Practice Review\nChild J", "review_report"),
        ("Delta Partnership\nNewsletter\nIssue 4", "not_review"),
        ("", "unknown"),
    ],
)
def test_classify_first_page_title_decides(page: str, kind: str) -> None:
    assert classify_first_page(page).kind == kind


def test_classify_decide_first_page_beats_link_unless_it_says_nothing() -> None:
    link = classify_link("Child T", "/docs/scr-child-t.pdf")
    assert link.kind == "review_report"
    page = classify_first_page("Annual Report 2021-22")
    assert decide(link, page).kind == "not_review" and decide(link, page).by == "first_page"
    assert decide(link, classify_first_page("")).kind == "review_report"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Child K Overview Report", "Child K"),
        ("Baby V SCR", "Baby V"),
        ("Children X and Y", "Children X"),
        ("Child D1 review", "Child D1"),
        ("Child Protection Conference", None),
        ("Child Sexual Exploitation", None),
    ],
)
def test_classify_name_code(text: str, code: str | None) -> None:
    assert name_code(text) == code


def test_classify_review_type_and_document_urls() -> None:
    assert review_type("LCSPR Child R") == "lcspr"
    assert review_type("Baby V SCR") == "scr"
    assert review_type("Child practice review (extended)") == "cpr"
    assert is_document_url("https://x.gov.uk/a/b/Report.PDF")
    assert is_document_url("https://x.gov.uk/a.docx")
    assert not is_document_url("https://x.gov.uk/reviews/child-k/")
