"""Ingest end to end: real files in, a searchable store out; bad files never stop a batch."""

from __future__ import annotations

import os

import pytest

from samples.render import parse_review_text, render_docx, render_html, render_pdf, render_text
from scrkb.config import Settings
from scrkb.index.search import Searcher
from scrkb.index.store import Store
from scrkb.models import SearchQuery
from scrkb.services.ingest import ingest_paths

pytestmark = pytest.mark.slow

REVIEW = """---
slug: {slug}
format: pdf
title: "Serious Case Review: {code}"
document_kind: overview report
partnership: "Fernhollow Local Safeguarding Children Board"
nation: England
review_type: scr
year: 2015
published: "April 2015"
author: "Independent reviewer"
child_code: "{code}"
age_text: "nine weeks old"
age_band: "under 1"
sex: male
outcome: serious harm
agencies: [police, GP]
themes: [non_mobile_injury]
---
# 1. Introduction

1.1 This serious case review was commissioned by Fernhollow Local Safeguarding Children Board after {code}, a nine-week-old baby boy, was admitted to hospital with fractures to his ribs and a bruise to his ear. This review is fictional.

1.2 {extra}

# 2. Findings

2.1 The health visitor saw a small bruise on the baby's ear at the new birth visit. The mother said that his sister had knocked him, and the explanation was accepted. No referral was made to children's social care and the bruising protocol for non-mobile babies was not followed.

2.2 The mother's partner lived in the household for most of the period under review but was not known to any agency. Nobody asked who else cared for the baby, and the partner was never seen or assessed by the health visitor or the GP.
"""


def _review(slug: str, code: str, extra: str = "The family was known to early help."):
    return parse_review_text(REVIEW.format(slug=slug, code=code, extra=extra))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_pipeline_ingests_every_format_and_reports_bad_files(tmp_path, settings):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    render_pdf(_review("a", "Child A"), folder / "a.pdf")
    render_docx(_review("b", "Child B"), folder / "b.docx")
    render_html(_review("c", "Child C"), folder / "sub" / "c.html")
    render_text(_review("d", "Child D"), folder / "sub" / "d.txt")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "login.pdf").write_bytes(b"<!DOCTYPE html><html><body>Please log in</body></html>")
    good = (folder / "a.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(good[: len(good) // 3])
    huge = folder / "huge.pdf"
    with open(huge, "wb") as fh:
        fh.truncate(200 * 2**20)  # sparse: 200 MB on paper, nothing on disk

    summary = ingest_paths([folder], settings)

    by_name = {os.path.basename(o.path): o for o in summary.outcomes}
    assert {n for n, o in by_name.items() if o.status == "added"} == {
        "a.pdf",
        "b.docx",
        "c.html",
        "d.txt",
    }
    assert by_name["empty.pdf"].reason == "empty"
    assert by_name["login.pdf"].reason == "wrong_type"
    assert by_name["truncated.pdf"].reason == "corrupt"
    assert by_name["huge.pdf"].reason == "too_large"
    assert "200" in by_name["huge.pdf"].message and "100" in by_name["huge.pdf"].message
    assert len(summary.failures) == 4
    for failure in summary.failures:
        assert failure.message and "\n" not in failure.message

    with Store(settings.db_path) as store:
        stats = store.stats()
        assert stats["reports"] == 4
        report = store.get_report(by_name["a.pdf"].report_id)
    assert report.metadata.child_code == "Child A"
    assert report.metadata.year == 2015
    assert report.metadata.review_type == "scr"
    assert report.metadata.age_band == "under 1"
    # passages from each format are searchable, with page and themes
    hits = (
        Searcher(settings)
        .search(SearchQuery(text="bruise on a baby explanation accepted", k=4))
        .hits
    )
    assert len({h.report_id for h in hits}) == 4
    assert all("bruise" in h.text for h in hits)
    assert any(t.id == "non_mobile_injury" for t in hits[0].themes)


def test_pipeline_reingest_is_a_no_op_and_a_changed_file_replaces(tmp_path, settings):
    path = render_pdf(_review("a", "Child A"), tmp_path / "a.pdf")
    first = ingest_paths([path], settings)
    assert first.count("added") == 1
    with Store(settings.db_path) as store:
        generation = store.generation()
        old_ids = [p.id for p in store.passages_for_report(first.outcomes[0].report_id)]

    again = ingest_paths([path], settings)
    assert again.count("unchanged") == 1
    with Store(settings.db_path) as store:
        assert store.generation() == generation

    render_pdf(
        _review(
            "a",
            "Child A",
            extra="The family later moved to Ashgrove and the case "
            "was transferred without a transfer-in conference.",
        ),
        path,
    )
    changed = ingest_paths([path], settings)
    assert changed.count("replaced") == 1
    assert changed.outcomes[0].report_id == first.outcomes[0].report_id
    with Store(settings.db_path) as store:
        passages = store.passages_for_report(first.outcomes[0].report_id)
        assert store.stats()["reports"] == 1
    new_ids = [p.id for p in passages]
    assert new_ids != old_ids
    assert any("transfer-in conference" in p.text for p in passages)
    # unchanged paragraphs keep their ids (packs that cite them stay valid)
    assert set(old_ids) & set(new_ids)
    hits = Searcher(settings).search(SearchQuery(text="transfer-in conference", k=1), mode="bm25")
    assert hits.hits[0].report_id == first.outcomes[0].report_id


def test_pipeline_same_content_elsewhere_is_a_duplicate(tmp_path, settings):
    path = render_text(_review("a", "Child A"), tmp_path / "a.txt")
    copy = tmp_path / "copy.txt"
    copy.write_bytes(path.read_bytes())
    summary = ingest_paths([path, copy], settings)
    assert [o.status for o in summary.outcomes] == ["added", "duplicate"]
    assert "already ingested" in summary.outcomes[1].message


def test_pipeline_scanned_pdf_is_kept_without_passages(tmp_path, settings):
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    image = tmp_path / "scan.png"
    Image.new("RGB", (600, 800), "white").save(image)
    pdf = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    c.drawImage(str(image), 50, 50, width=400, height=600)
    c.showPage()
    c.save()
    summary = ingest_paths([pdf], settings)
    outcome = summary.outcomes[0]
    assert outcome.status == "no_text"
    assert outcome.message.startswith("no text layer (needs OCR)")
    with Store(settings.db_path) as store:
        report = store.get_report(outcome.report_id)
        assert report.status == "no_text"
        assert store.passages_for_report(outcome.report_id) == []


def test_pipeline_missing_file_is_reported(tmp_path, settings):
    summary = ingest_paths([tmp_path / "nope.pdf"], settings)
    assert summary.failures[0].message == "file not found"


def test_pipeline_listing_metadata_fills_only_what_the_text_does_not_state():
    from scrkb.models import Evidence, ReportMetadata
    from scrkb.nlp.metadata import fill_from_listing

    meta = ReportMetadata(year=2019, evidence={"year": Evidence(value=2019, evidence="May 2019")})
    filled = fill_from_listing(
        meta,
        {
            "listing_year": "2017",
            "listing_partnership": "Eastvale Safeguarding Children Partnership",
            "listing_child_code": "Child P",
            "found_on": "http://example/reviews",
        },
    )
    assert filled.year == 2019  # the report's own title page wins
    assert filled.partnership == "Eastvale Safeguarding Children Partnership"
    assert filled.child_code == "Child P"
    assert filled.evidence["partnership"].method == "listing"
    assert "http://example/reviews" in filled.evidence["child_code"].evidence
    assert fill_from_listing(meta, {"listing_year": "not a year"}) == meta


def test_pipeline_scanned_review_is_read_by_ocr_and_searchable(tmp_path, settings):
    from scrkb.ingest.ocr import tesseract_version
    from tests.layouts import scanned_pdf, wrap

    if tesseract_version() is None:
        pytest.skip("Tesseract not installed")
    body = (
        "The health visitor never met the lodger who slept on the sofa, and nobody asked "
        "who else lived in the flat when the baby was seen with a bruise on his ear."
    )
    pdf = scanned_pdf(
        tmp_path / "scan.pdf",
        [
            [("Serious Case Review", 16, True), ("Baby Q", 14, False)],
            [("1. Findings", 13, True)]
            + [(ln, 11, False) for ln in wrap(body, 450, "Helvetica", 11)],
        ],
    )
    outcome = ingest_paths([pdf], settings).outcomes[0]
    assert outcome.status == "added" and outcome.passages >= 1
    with Store(settings.db_path) as store:
        report = store.get_report(outcome.report_id)
    assert report.provenance["text_layer"] == "ocr"
    assert report.provenance["ocr_pages"] == "1,2"
    assert report.provenance["ocr_engine"].startswith("tesseract")
    assert 80 <= report.provenance["ocr_confidence"] <= 100
    hits = Searcher(settings).search(SearchQuery(text="lodger sleeping on the sofa", k=3)).hits
    assert hits and hits[0].report_id == outcome.report_id

    off = settings.model_copy(update={"home": tmp_path / "off", "ocr": False})
    outcome = ingest_paths([pdf], off).outcomes[0]
    assert outcome.status == "no_text"
    with Store(off.db_path) as store:
        assert "OCR is turned off" in store.get_report(outcome.report_id).status_reason


def test_pipeline_same_bytes_as_a_refused_file_under_another_name_is_read_on_its_own(
    tmp_path, settings
):
    # a review published as a web page, also saved under a .pdf name (as sites serve
    # pages under .pdf links): one file is refused for its name, the other is a review
    page = render_html(_review("w", "Child W"), tmp_path / "review.html")
    misnamed = tmp_path / "a-review.pdf"  # first in the batch: it is read first
    misnamed.write_bytes(page.read_bytes())
    summary = ingest_paths([misnamed, page], settings)
    by_name = {os.path.basename(o.path): o for o in summary.outcomes}
    assert by_name["a-review.pdf"].status == "failed"
    assert by_name["a-review.pdf"].reason == "wrong_type"
    assert by_name["a-review.pdf"].message.startswith("a-review.pdf")
    assert by_name["review.html"].status == "added", by_name["review.html"]
    with Store(settings.db_path) as store:
        assert [store.get_report(r).source for r in store.report_ids()] == [str(page.resolve())]
