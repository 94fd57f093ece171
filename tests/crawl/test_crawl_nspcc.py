"""NSPCC sources end to end: the case reviews update (and yearly lists) and the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from scrkb.config import Settings
from scrkb.ingest.crawl.runner import crawl, provenance_for
from scrkb.ingest.crawl.settings import state_path
from scrkb.ingest.crawl.state import CrawlState
from tests.crawl.world import World


def test_crawl_nspcc_updates_entries_links_and_metadata_only(
    world: World, crawl_settings: Settings
) -> None:
    summary = crawl("nspcc-updates", crawl_settings)
    n = world["nspcc"]
    page = n.url("/case-reviews/recently-published-case-reviews")
    assert summary.urls("new") == {
        n.url("/reports/birmingham-baby-a.pdf"),
        n.url("/partner/leeds/child-q-lcspr.pdf"),  # via the partnership's page
        n.url("/reports/devon-child-d.pdf"),  # from the 2016 yearly list
        f"{page}#2024-kent-sibling-group",  # no link: kept as a metadata-only record
    }
    # The malformed "2024 – Surrey" heading is counted, loudly, not silently dropped.
    assert summary.failed == {"unparsed_entries": 1}
    assert "/partner/leeds/annual-report.pdf" not in n.paths()

    state = CrawlState(state_path(crawl_settings))
    baby_a = state.document(n.url("/reports/birmingham-baby-a.pdf"))
    listing = json.loads(baby_a["listing_json"])
    assert (listing["year"], listing["partnership"], listing["child_code"]) == (
        2025,
        "Birmingham",
        "Baby A",
    )
    assert listing["precis"].startswith("Death of an 8-day-old baby girl in September 2021")
    assert listing["learning_themes"] == [
        "safe sleep",
        "parental substance misuse",
        "professional curiosity about male carers",
    ]
    assert listing["source_labels"] == listing["learning_themes"]
    assert len(listing["recommendations"]) == 2
    devon = json.loads(state.document(n.url("/reports/devon-child-d.pdf"))["listing_json"])
    assert devon["keywords"] == ["neglect", "domestic abuse", "general practitioners"]
    assert devon["model"] == "SILP" and devon["review_type"] == "scr"
    kent = state.document(f"{page}#2024-kent-sibling-group")
    assert kent["metadata_only"] == 1 and kent["kind"] == "catalogue_record"
    record = Path(kent["path"]).read_text(encoding="utf-8")
    assert "disguised compliance" in record and "no longer online" in record

    prov = provenance_for(baby_a)
    assert prov["url"] == n.url("/reports/birmingham-baby-a.pdf")
    assert (
        prov["source_labels"]
        == "safe sleep; parental substance misuse; professional curiosity about male carers"
    )
    assert prov["sha256"] == baby_a["sha256"] and prov["http_status"] == 200
    assert prov["etag"] and prov["fetched_at"] and prov["classified_by"] == "first_page"
    assert all(v is None or isinstance(v, str | int) for v in prov.values())
    state.close()


def test_crawl_nspcc_updates_since_skips_older_years(
    world: World, crawl_settings: Settings
) -> None:
    summary = crawl("nspcc-updates", crawl_settings, since=2020)
    assert summary.urls("skipped", "before_since") == {
        world["nspcc"].url("/reports/devon-child-d.pdf")
    }
    assert "/reports/devon-child-d.pdf" not in world["nspcc"].paths()


def test_crawl_nspcc_library_pages_records_and_withdrawn_pdfs(
    world: World, crawl_settings: Settings
) -> None:
    summary = crawl("nspcc-library", crawl_settings)
    lib = world["library"]
    record = lib.url("/HeritageScripts/Hapi.dll/retrieve2?SetID=1&recordID={}")
    assert summary.urls("new") == {
        lib.url("/pdfs/1001.pdf"),
        lib.url("/pdfs/1004.pdf"),
        record.format(1002),  # no PDF link: metadata only
        lib.url("/pdfs/1003.pdf"),  # PDF link withdrawn (404): metadata only
    }
    assert summary.urls("failed", "layout") == {record.format(1005)}
    offsets = [p for p in lib.paths() if "search2" in p]
    assert offsets == [
        "/HeritageScripts/Hapi.dll/search2?Offset=0",
        "/HeritageScripts/Hapi.dll/search2?Offset=2",
        "/HeritageScripts/Hapi.dll/search2?Offset=4",
    ]
    state = CrawlState(state_path(crawl_settings))
    withdrawn = state.document(lib.url("/pdfs/1003.pdf"))
    assert withdrawn["metadata_only"] == 1
    assert json.loads(withdrawn["listing_json"])["document_withdrawn"] == "HTTP 404"
    n1001 = json.loads(state.document(lib.url("/pdfs/1001.pdf"))["listing_json"])
    assert n1001["partnership"] == "Anytown LSCB" and n1001["year"] == 2019
    assert n1001["keywords"] == [
        "disguised compliance",
        "general practitioners",
        "professional curiosity",
    ]
    assert n1001["model"] == "SILP" and n1001["child_code"] == "Child N"
    assert state.document(lib.url("/pdfs/1004.pdf"))["kind"] == "executive_summary"
    state.close()
