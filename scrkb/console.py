"""How the command line shows things: the JSON the CLI prints, and rich text for people.

The commands (``scrkb/cli.py``) call a use case, then one function here. The JSON forms
render the same models the API and the web pages render (``SearchHit``, ``Report``,
``Stats``, the ingest summary), with the keys the README documents; keys are added,
never taken away.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scrkb.index.search import MARK_END, MARK_START
from scrkb.models import Passage, Report, SearchHit, SearchResults, Stats, ThemeTag

console = Console(stderr=True, soft_wrap=True)  # progress, warnings and errors
out = Console(highlight=False, soft_wrap=True)  # results


def write_json(data: Any, *, indent: int | None = 2) -> None:
    sys.stdout.write(json.dumps(data, indent=indent) + "\n")


# --------------------------------------------------------------------------- search
def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A ``SearchHit`` as ``scrkb search --json`` prints it: themes as ids, with their
    confidence beside them, and query terms in the snippet between [ and ]."""
    data = hit.model_dump(mode="json")
    data["themes"] = [t.id for t in hit.themes]
    data["theme_confidence"] = {t.id: t.confidence for t in hit.themes}
    data["snippet"] = hit.snippet.replace(MARK_START, "[").replace(MARK_END, "]")
    return data


def results_json(results: SearchResults) -> dict[str, Any]:
    """The results as ``scrkb search --json`` prints them: the documented keys first
    (``query``, ``total``, ``results``), then the rest of ``SearchResults`` as the API
    gives it (counts, arrangement, report groups, suggestions), hits rendered as above."""
    data = results.model_dump(mode="json", exclude={"hits", "facets", "timings_ms", "groups"})
    groups = None
    if results.groups is not None:
        groups = [
            {
                **g.model_dump(mode="json", exclude={"hits"}),
                "results": [hit_json(h) for h in g.hits],
            }
            for g in results.groups
        ]
    return {
        "query": results.query,
        "total": results.total,
        "results": [hit_json(h) for h in results.hits],
        **{key: value for key, value in data.items() if key not in ("query", "total")},
        "groups": groups,
    }


def why_line(hit: SearchHit) -> str | None:
    """ "Why this matched", short: the shared words, the asked-for themes, by meaning."""
    why = hit.why
    if why is None:
        return None
    parts = []
    if why.terms:
        parts.append("words: " + ", ".join(why.terms[:6]))
    if why.themes:
        parts.append("themes you asked for: " + ", ".join(t.name for t in why.themes))
    if why.meaning:
        parts.append("close in meaning")
    return "; ".join(parts) or None


def print_results(results: SearchResults, *, explain: bool) -> None:
    suggestions = results.suggestions
    if suggestions and suggestions.spelling:
        out.print(f"Did you mean: [bold]{escape(suggestions.spelling)}[/bold]?")
    if not results.hits:
        if results.total:
            out.print(f"No passages on this page: {results.total} passages match in all.")
            return
        out.print(
            "No passages found. Check the spelling, use fewer or more general words, "
            "or remove filters."
        )
        if suggestions and suggestions.themes:
            out.print(
                "Themes your search may be about: "
                + ", ".join(f"{escape(t.name)} (--theme {t.id})" for t in suggestions.themes)
            )
        return
    if results.query_expansions:
        read = ", ".join(
            f"{' or '.join(spelt)} ({word.upper()})"
            for word, spelt in results.query_expansions.items()
        )
        out.print(f"[dim]Also searched for {escape(read)}.[/dim]")
    out.print(
        f"[dim]{results.total} passages in {results.reports} reports"
        + (f"; at most {results.per_report} per report" if results.per_report else "")
        + "[/dim]\n"
    )
    for h in results.hits:
        where = ", ".join(
            str(x) for x in (h.partnership, h.year, h.citation.place_long) if x is not None
        )
        out.print(f"[bold]{h.rank}. {escape(h.title)}[/bold]  [dim]({escape(where)})[/dim]")
        if h.heading_path:
            out.print(f"   [dim]{escape(' › '.join(h.heading_path))}[/dim]")
        snippet = (
            escape(h.snippet)
            .replace(MARK_START, "[bold yellow]")
            .replace(MARK_END, "[/bold yellow]")
        )
        out.print(f"   {snippet}")
        if h.themes:
            out.print("   themes: " + ", ".join(escape(t.name) for t in h.themes))
        why = why_line(h)
        if why:
            out.print(f"   why: {escape(why)}")
        if results.per_report and (h.report_matches or 0) > results.per_report:
            out.print(
                f"   [dim]{h.report_matches} matching passages in this report: "
                f"--report {h.report_id}[/dim]"
            )
        if explain:
            p = h.score_parts
            out.print(
                f"   [dim]fused {p.fused:.4f}; bm25 rank {p.bm25_rank} ({p.bm25_score}); "
                f"dense rank {p.dense_rank} ({p.dense_score}); "
                f"theme rank {p.theme_rank} ({p.theme_score})[/dim]"
            )
            why = [*h.matched_terms, *(f"theme {t}" for t in h.matched_themes)]
            if why:
                out.print(f"   [dim]matched: {escape(', '.join(why))}[/dim]")
        out.print(f"   [dim]passage {h.passage_id}[/dim]\n")


# --------------------------------------------------------------------------- reports, stats
def theme_profile(passages: list[Passage]) -> dict[str, int]:
    """Theme id -> passages carrying it, most frequent first."""
    profile: dict[str, int] = {}
    for p in passages:
        for t in p.themes:
            profile[t.theme_id] = profile.get(t.theme_id, 0) + 1
    return dict(sorted(profile.items(), key=lambda kv: -kv[1]))


def report_json(report: Report, passages: list[Passage]) -> dict[str, Any]:
    data = report.model_dump(mode="json")
    data["passages"] = len(passages)
    data["theme_profile"] = theme_profile(passages)
    return data


def print_report(report: Report, passages: list[Passage]) -> None:
    m = report.metadata
    out.print(f"[bold]{escape(report.title)}[/bold]  ({report.id})")
    table = Table(show_header=False, box=None)
    for label, value in (
        ("Review type", m.review_type),
        ("Nation", m.nation),
        ("Partnership", m.partnership),
        ("Year", m.year),
        ("Child", m.child_code),
        ("Age", m.age_text),
        ("Age band", m.age_band),
        ("Outcome", m.outcome),
        ("Agencies", ", ".join(m.agencies) or None),
        ("Pages", report.page_count),
        ("Passages", len(passages)),
        ("Source", report.source_url or report.source),
        ("Status", report.status_reason or report.status),
    ):
        table.add_row(label, escape(str(value)) if value is not None else "[dim]not found[/dim]")
    out.print(table)
    profile = theme_profile(passages)
    if profile:
        out.print(
            "[bold]Themes[/bold] (passages): " + ", ".join(f"{t} {n}" for t, n in profile.items())
        )
    for r in report.recommendations:
        out.print(f"  Recommendation {escape(r.number)}: {escape(r.text)}")


def stats_json(stats: Stats, home: str) -> dict[str, Any]:
    return {**stats.model_dump(), "home": home}


def print_stats(stats: Stats, home: str) -> None:
    for key, value in stats_json(stats, home).items():
        out.print(f"{key}: {value}")


# --------------------------------------------------------------------------- ingest, crawl
def print_ingest_summary(summary: Any) -> None:  # services.ingest.IngestSummary
    d = summary.as_dict()
    out.print(
        f"documents: {d['documents']} (added {d['added']}, replaced {d['replaced']}, "
        f"no text {d['no_text']}), unchanged: {d['unchanged']}, duplicates: {d['duplicates']}, "
        f"passages: {d['passages']}, pages: {d['pages']}, failures: {d['failed']}"
    )
    for o in summary.outcomes:
        if o.status in ("failed", "no_text", "duplicate"):
            out.print(f"  {o.status}: {escape(o.path)}: {escape(o.message or '')}")


def print_crawl_outcome(outcome: Any, *, ingested: bool) -> None:  # services.crawl.CrawlOutcome
    table = Table(title="crawl summary")
    for col in ("source", "found", "new", "changed", "gone", "skipped (why)", "failed (why)"):
        table.add_column(col)
    for s in outcome.crawls:
        table.add_row(
            s.source,
            str(s.found),
            str(s.new),
            str(s.changed),
            str(s.gone),
            _reasons(s.skipped),
            _reasons(s.failed),
        )
    out.print(table)
    if outcome.ingest is not None:
        d = outcome.ingest.as_dict()
        out.print(
            f"ingested: {d['added']} added, {d['replaced']} replaced, {d['unchanged']} unchanged, "
            f"{d['duplicates']} duplicates, {d['no_text']} without text, {d['failed']} failed"
        )
        for o in outcome.ingest.failures:
            out.print(f"  [red]failed[/red] {escape(o.path)}: {escape(o.message or '')}")
    elif not ingested:
        out.print("not ingested (--no-ingest): the next `scrkb crawl` ingests them")


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())) or "-"


# --------------------------------------------------------------------------- tagging
def print_tags(tags: list[ThemeTag]) -> None:
    if not tags:
        out.print("No theme above the decision threshold.")
        return
    table = Table("theme", "confidence", "evidence", title="Themes found")
    for t in tags:
        table.add_row(t.theme_id, f"{t.confidence:.2f}", escape(t.evidence[:160]))
    out.print(table)


def print_source_checks(results: list[Any]) -> None:  # ingest.crawl.check.SourceCheck
    """`scrkb crawl --check`: one row per source, then a count of each outcome."""
    out = Console(soft_wrap=True)
    table = Table(title="listing pages")
    for col in ("source", "status", "HTTP", "documents", "reviews", "note"):
        table.add_column(col)
    for r in results:
        if r.status == "no_url":
            continue
        colour = "green" if r.ok else "red"
        table.add_row(
            escape(r.id),
            f"[{colour}]{r.status}[/{colour}]",
            str(r.http_status or ""),
            str(r.documents),
            str(r.reviews),
            escape(r.message),
        )
    out.print(table)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
