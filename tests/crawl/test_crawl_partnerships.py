"""Partnership sites end to end: a real Scrapy crawl (subprocess) against local fixture sites."""

from __future__ import annotations

import json
from pathlib import Path

from scrkb.config import Settings
from scrkb.ingest.crawl.runner import crawl
from scrkb.ingest.crawl.settings import state_path
from scrkb.ingest.crawl.state import CrawlState
from tests.crawl.world import World, make_pdf

ALPHA_NEW = {
    "/docs/child-k-exec-summary.pdf",
    "/docs/child-l-overview-report.pdf",  # a PDF served as text/html
    "/docs/child-p-lcspr.pdf",  # 500, then 200 on the retry
    "/old/lcspr-child-r.pdf",  # 301 -> 302 -> the PDF
    "/docs/baby-v-scr.pdf",
}
KINDS = {
    ("alpha", "/docs/child-k-exec-summary.pdf"): "executive_summary",
    ("alpha", "/docs/baby-v-scr.pdf"): "review_report",
    ("beta-docs", "/files/7-minute-briefing-child-b.pdf"): "learning_brief",
    ("beta-docs", "/files/family-d-executive-summary.pdf"): "executive_summary",
    ("beta-docs", "/files/lcspr-child-b.pdf"): "review_report",
    ("beta", "/uploads/child-e.pdf"): "review_report",
    ("gamma", "/media/1234/download.pdf"): "review_report",
    ("gamma", "/media/1235/download.pdf"): "learning_brief",
    ("gamma", "/media/2002/baby-h-exec.pdf"): "executive_summary",
    ("gamma", "/media/3001/file.pdf"): "review_report",
}


def _urls(world: World, pairs: set[tuple[str, str]]) -> set[str]:
    return {world[site].url(path) for site, path in pairs}


def test_crawl_partnerships_finds_classifies_and_skips_exactly(
    world: World, crawl_settings: Settings
) -> None:
    summary = crawl("partnerships", crawl_settings)
    a, b, bd, g = world["alpha"], world["beta"], world["beta-docs"], world["gamma"]
    k_twins = {a.url("/docs/child-k-overview-report.pdf"), a.url("/docs/old/child-k-overview.pdf")}
    new = summary.urls("new")
    expected_new = {a.url(p) for p in ALPHA_NEW} | {
        bd.url("/files/lcspr-child-b.pdf"),
        bd.url("/files/7-minute-briefing-child-b.pdf"),
        bd.url("/files/family-d-executive-summary.pdf"),
        b.url("/uploads/child-e.pdf"),
        g.url("/media/1234/download.pdf"),
        g.url("/media/1235/download.pdf"),
        g.url("/media/2001/baby-h.pdf"),
        g.url("/media/2002/baby-h-exec.pdf"),
        g.url("/media/3001/file.pdf"),
    }
    # Same bytes under two URLs: whichever arrives first is stored, the other is a duplicate.
    assert new - k_twins == expected_new
    assert len(new & k_twins) == 1
    assert summary.urls("skipped", "duplicate_content") == k_twins - new
    assert summary.new == 15 and summary.changed == 0 and summary.complete

    assert summary.urls("skipped", "not_review") == {
        a.url("/docs/annual-report-2022-23.pdf"),  # from the link: never downloaded
        a.url("/docs/thresholds.pdf"),
        a.url("/docs/scr-child-t.pdf"),  # review-like name, annual report on page one
        bd.url("/files/newsletter-spring-2019.pdf"),
    }
    assert summary.urls("skipped", "robots") == {
        a.url("/private/family-a-report.pdf"),
        a.url("/private/old-reviews"),
    }
    assert summary.urls("skipped", "too_large") == {a.url("/docs/child-z-full-report.pdf")}
    assert summary.urls("skipped", "duplicate_url") == {a.url("/docs/child-k-overview-report.pdf")}
    assert summary.urls("failed", "http_404") == {a.url("/docs/child-m-report.pdf")}
    assert summary.urls("failed", "timeout") == {a.url("/docs/child-s-report.pdf")}
    assert summary.skipped == {
        "not_review": 4,
        "robots": 2,
        "too_large": 1,
        "duplicate_url": 1,
        "duplicate_content": 1,
    }
    assert summary.failed == {"http_404": 1, "timeout": 1}

    # Never fetched: what robots.txt forbids, what the link already ruled out, the calendar,
    # anything off the partnerships' sites, and navigation that is not about reviews.
    hit = set(a.paths())
    assert not {p for p in hit if p.startswith("/private/")}
    assert "/docs/annual-report-2022-23.pdf" not in hit and "/docs/thresholds.pdf" not in hit
    assert not {p for p in hit if p.startswith("/events/")}
    assert "/about" not in hit
    assert a.paths().count("/safeguarding/case-reviews") == 1  # the self-linking loop page
    assert "/contact" not in g.paths() and "/procedures/" not in g.paths()
    assert a.hits and all(h.headers.get("user-agent", "").startswith("scrkb/") for h in a.hits)

    # Provenance: classification, status, validators, sha256, listing metadata.
    state = CrawlState(state_path(crawl_settings))
    for (site, path), kind in KINDS.items():
        row = state.document(world[site].url(path))
        assert row is not None and row["kind"] == kind, (site, path, row and row["kind"])
    row = state.document(a.url("/old/lcspr-child-r.pdf"))
    assert row["final_url"] == a.url("/docs/lcspr-child-r-final.pdf")
    assert (
        row["http_status"] == 200 and row["etag"] and row["sha256"] and Path(row["path"]).exists()
    )
    listing = json.loads(state.document(a.url("/docs/baby-v-scr.pdf"))["listing_json"])
    assert listing["partnership"] == "Alpha Safeguarding Children Partnership"
    assert listing["year"] == 2015 and listing["child_code"] == "Baby V"
    assert listing["review_type"] == "scr"
    g_listing = json.loads(state.document(g.url("/media/1234/download.pdf"))["listing_json"])
    assert g_listing["child_code"] == "Child G" and g_listing["year"] == 2022
    state.close()


def test_crawl_partnerships_second_crawl_fetches_only_what_changed(
    world: World, crawl_settings: Settings
) -> None:
    first = crawl("partnerships", crawl_settings)
    a, bd = world["alpha"], world["beta-docs"]
    for site in world.sites.values():
        site.clear()
    briefing = "/files/7-minute-briefing-child-b.pdf"
    bd.files[briefing] = (
        make_pdf(["7 minute briefing", "Child B", "Revised edition"], pages=1),
        "application/pdf",
    )
    del a.files["/docs/baby-v-scr.pdf"]  # taken down: 404 from now on

    second = crawl("partnerships", crawl_settings)
    assert second.new == 0
    assert second.urls("changed") == {bd.url(briefing)}
    assert second.urls("gone") == {a.url("/docs/baby-v-scr.pdf")}
    unchanged = second.urls("skipped", "unchanged")
    assert unchanged == first.urls("new") - {bd.url(briefing), a.url("/docs/baby-v-scr.pdf")} | {
        a.url("/docs/scr-child-t.pdf")
    }
    # Every document stored the first time was asked for conditionally and answered 304.
    hits = {s.url(h.path): h for s in world.sites.values() for h in s.hits}
    for url in unchanged:
        if url == a.url("/old/lcspr-child-r.pdf"):
            url = a.url("/docs/lcspr-child-r-final.pdf")  # the redirect's target
        assert hits[url].status == 304 and "if-none-match" in hits[url].headers, url
    state = CrawlState(state_path(crawl_settings))
    gone = state.document(a.url("/docs/baby-v-scr.pdf"))
    assert gone["no_longer_online_since"] and gone["path"]  # kept, marked
    state.close()


def test_crawl_limit_stops_early_and_the_next_run_resumes(
    world: World, crawl_settings: Settings
) -> None:
    settings = crawl_settings.model_copy(
        update={
            "crawl_sources_file": world.registry(crawl_settings.home.parent / "g.yaml", ("gamma",))
        }
    )
    first = crawl("partnerships", settings, limit=2)
    assert first.new == 2 and not first.complete
    second = crawl("partnerships", settings)
    assert second.new == 3
    assert first.urls("new").isdisjoint(second.urls("new"))
    assert second.complete


def test_crawl_since_skips_older_reviews(world: World, crawl_settings: Settings) -> None:
    settings = crawl_settings.model_copy(
        update={
            "crawl_sources_file": world.registry(crawl_settings.home.parent / "g.yaml", ("gamma",))
        }
    )
    summary = crawl("partnerships", settings, since=2020)
    g = world["gamma"]
    assert summary.urls("skipped", "before_since") == {
        g.url("/media/2001/baby-h.pdf"),
        g.url("/media/2002/baby-h-exec.pdf"),
    }
    assert summary.new == 3
