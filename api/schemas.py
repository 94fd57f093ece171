"""The API's public shapes: what every route returns and accepts.

Internal records (``Report``, ``Passage``, the catalog's dataclasses) stay behind
``index/``; these ``*Public`` models are the contract the web page, partnerships'
intranets and researchers' scripts code against, so a change here is an API change.
Search hits are ``scrkb.models.SearchHit`` itself plus rendered fields, so the CLI's
``--json``, the API and the templates show one shape.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scrkb.index.search import MARK_END, MARK_START, MAX_QUERY_CHARS
from scrkb.models import Evidence, Recommendation, SearchHit


def snippet_html(snippet: str) -> str:
    """Escape the text, then turn the \\x02/\\x03 marks into <mark>: never raw HTML."""
    return html.escape(snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def plain_snippet(snippet: str) -> str:
    return snippet.replace(MARK_START, "").replace(MARK_END, "")


# --------------------------------------------------------------------------- errors
class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. not_found, invalid_query.")
    message: str = Field(description="One line for people, saying what to do next.")
    status: int
    details: list[dict[str, Any]] | dict[str, Any] | None = Field(
        None, description="Per-field problems (validation) or extra facts (valid ids)."
    )


class ErrorPublic(BaseModel):
    """Every 4xx/5xx response has this shape, from every route."""

    error: ErrorDetail


# --------------------------------------------------------------------------- search
class SearchHitPublic(SearchHit):
    """A ranked passage: ``SearchHit`` plus what a page needs to show and link it."""

    snippet_html: str = Field(description="HTML-escaped text with query terms in <mark>.")
    report_url: str = Field(description="API path of the report.")
    original_url: str = Field(description="Where to read the original: its URL, or our copy.")

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchHitPublic:
        data = hit.model_dump()
        data["snippet"] = plain_snippet(hit.snippet)
        return cls(
            **data,
            snippet_html=snippet_html(hit.snippet),
            report_url=f"/api/reports/{hit.report_id}",
            original_url=hit.source_url or f"/api/reports/{hit.report_id}/original",
        )


class SearchResultsPublic(BaseModel):
    query: str
    total: int = Field(description="Passages matching (a lower bound when capped at 1000).")
    k: int
    offset: int
    hits: list[SearchHitPublic]
    facets: dict[str, dict[str, int]] = Field(
        description="Counts over the whole result set: theme (passages), year, review_type, "
        "nation, age_band (reports)."
    )
    timings_ms: dict[str, float]


# --------------------------------------------------------------------------- themes
class ThemePublic(BaseModel):
    id: str
    name: str
    group: str
    definition: str
    reports: int = Field(description="Reports with at least one passage carrying the theme.")
    passages: int


class ThemesPublic(BaseModel):
    data: list[ThemePublic]
    count: int


class TrendPoint(BaseModel):
    year: int
    reports: int = Field(description="Reports published that year carrying the theme.")
    all_reports: int = Field(description="All reports published that year.")


class CoThemePublic(BaseModel):
    id: str
    name: str
    passages: int = Field(description="Passages tagged with both themes.")
    reports: int = Field(description="Reports carrying both themes.")


class ThemeRecommendationPublic(BaseModel):
    report_id: str
    title: str
    year: int | None
    partnership: str | None
    number: str
    text: str
    page: int | None
    themes: list[str]


class ThemeDetailPublic(ThemePublic):
    trend: list[TrendPoint]
    co_occurring: list[CoThemePublic]
    strongest_passages: list[SearchHitPublic]
    recommendations: list[ThemeRecommendationPublic]
    recommendations_total: int


# --------------------------------------------------------------------------- reports
class ThemeCountPublic(BaseModel):
    id: str
    name: str
    passages: int


class ReportSummaryPublic(BaseModel):
    id: str
    title: str
    year: int | None
    partnership: str | None
    review_type: str | None
    nation: str | None
    age_band: str | None
    child_code: str | None
    outcome: str | None
    status: str
    page_count: int
    passages: int
    source_url: str | None
    url: str
    top_themes: list[ThemeCountPublic]


class ReportsPublic(BaseModel):
    data: list[ReportSummaryPublic]
    count: int = Field(description="Reports matching the filters, in all.")
    limit: int
    offset: int


class ThemeProfilePublic(BaseModel):
    id: str
    name: str
    passages: int
    max_confidence: float


class PassageThemePublic(BaseModel):
    id: str
    name: str
    confidence: float
    evidence: str
    stage: str


class PassagePublic(BaseModel):
    id: str
    ordinal: int
    text: str
    heading_path: list[str]
    section_kind: str
    page: int
    page_end: int
    themes: list[PassageThemePublic]


class SectionPublic(BaseModel):
    heading: str
    section_kind: str
    passages: list[PassagePublic]


class ReportMetadataPublic(BaseModel):
    review_type: str | None
    nation: str | None
    partnership: str | None
    year: int | None
    child_code: str | None
    age_text: str | None
    age_band: str | None
    sex: str | None
    outcome: str | None
    agencies: list[str]
    evidence: dict[str, Evidence] = Field(description="Where each value was found in the text.")


class SourcePublic(BaseModel):
    source_url: str | None
    original_url: str = Field(description="The original online, or the copy kept at ingest.")
    format: str
    sha256: str
    size_bytes: int
    page_count: int
    file_name: str | None


class ReportDetailPublic(BaseModel):
    id: str
    title: str
    status: str
    status_reason: str | None
    metadata: ReportMetadataPublic
    passages: int
    theme_profile: list[ThemeProfilePublic]
    recommendations: list[Recommendation]
    sections: list[SectionPublic]
    source: SourcePublic
    provenance: dict[str, str | int | float | bool | None]
    ingested_at: datetime | None


class SimilarReportPublic(BaseModel):
    report: ReportSummaryPublic
    score: float = Field(description="Cosine similarity of the reports' mean passage vectors.")
    shared_themes: list[str]


class SimilarReportsPublic(BaseModel):
    report_id: str
    data: list[SimilarReportPublic]


# --------------------------------------------------------------------------- precedent
class PrecedentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=200_000,
        description="The draft: findings, analysis or the whole review, as plain text.",
    )
    k: int = Field(10, ge=1, le=50, description="Reports to return.")
    passages_per_report: int = Field(3, ge=1, le=10)


class DraftThemePublic(BaseModel):
    id: str
    name: str
    confidence: float
    passages: int = Field(description="Draft passages carrying the theme.")


class PassageMatchPublic(BaseModel):
    hit: SearchHitPublic
    similarity: float
    draft_passage: int = Field(description="1-based number of the draft passage it matched.")
    draft_excerpt: str


class ReportMatchPublic(BaseModel):
    report: ReportSummaryPublic
    score: float
    shared_themes: list[ThemeCountPublic] = Field(
        description="Themes of the draft that this report also carries (passages in the report)."
    )
    passages: list[PassageMatchPublic]
    recommendations: list[Recommendation]


class PrecedentPublic(BaseModel):
    draft_passages: int
    draft_words: int
    truncated: bool = Field(description="True when only the draft's first passages were used.")
    themes: list[DraftThemePublic]
    reports: list[ReportMatchPublic]
    passages: list[PassageMatchPublic]


# --------------------------------------------------------------------------- packs
class PackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)


class PackUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)


class PackItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(min_length=1, max_length=200)
    note: str = Field("", max_length=4000, description="The trainer's note on this passage.")
    position: int | None = Field(
        None, ge=1, le=10_000, description="1-based place to insert at (default: the end)."
    )


class PackItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(max_length=4000)


class PackOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_ids: list[str] = Field(max_length=200, description="Every item, in the new order.")


class CitationPublic(BaseModel):
    report_id: str
    title: str
    partnership: str | None
    year: int | None
    page: int
    page_end: int
    url: str
    review_type: str | None
    nation: str | None


class PackItemPublic(BaseModel):
    passage_id: str
    position: int
    note: str
    text: str
    heading_path: list[str]
    themes: list[str]
    citation: CitationPublic
    added_at: str
    missing: bool = Field(description="The passage left the index; the snapshot is shown.")


class PackSummaryPublic(BaseModel):
    id: str
    title: str
    description: str
    created_at: str
    updated_at: str
    item_count: int
    url: str


class PackPublic(PackSummaryPublic):
    items: list[PackItemPublic]


class PacksPublic(BaseModel):
    data: list[PackSummaryPublic]
    count: int


# --------------------------------------------------------------------------- admin, health
class CrawlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Source id from the sources registry (as `scrkb crawl` takes it).",
    )
    limit: int | None = Field(None, ge=1, le=100_000, description="Stop after this many reports.")


class JobPublic(BaseModel):
    id: str
    kind: Literal["ingest", "crawl"]
    status: Literal["queued", "running", "succeeded", "failed"]
    params: dict[str, Any]
    result: dict[str, Any] | None
    message: str | None
    output_tail: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    url: str


class JobsPublic(BaseModel):
    data: list[JobPublic]
    count: int


class HealthPublic(BaseModel):
    status: Literal["ok"]


class ReadyPublic(BaseModel):
    status: Literal["ready"]
    passages: int
    vectors: int
    generation: int


class StatsPublic(BaseModel):
    reports: int
    reports_without_text: int
    passages: int
    pages: int
    tagged_passages: int
    theme_tags: int
    recommendations: int
    years: list[int]
    review_types: dict[str, int]
    nations: dict[str, int]
    generation: int
    themes: int = Field(description="Themes in the taxonomy.")
    packs: int
    jobs_active: int


QUERY_MAX = MAX_QUERY_CHARS
