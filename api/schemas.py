"""The API's public shapes: ``scrkb.models`` as the API shows them.

Every resource has one model in ``scrkb/models.py``, built by the index and the services
and rendered alike by the CLI, the API and the web templates. A class here exists only
where the API's shape differs from that model, and only as a subclass that adds links
(``url``, ``report_url``, ``original_url``, a highlighted snippet) or hides fields (a
passage's character offsets, the server-side ``source_url`` of a citation). Links are
derived from the model's own fields as it is validated, so converting a whole tree is
``Public.model_validate(model.model_dump())``. Shapes that are the API's own protocol
(errors, health) are here too; a change to any of them is an API change.
"""

from __future__ import annotations

import html
from typing import Any, ClassVar, Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from scrkb.index.search import MARK_END, MARK_START
from scrkb.models import (
    Citation,
    Evidence,
    Job,
    JobList,
    Pack,
    PackItem,
    PackList,
    PackSummary,
    Passage,
    PassageMatch,
    Precedent,
    ReportDetail,
    ReportGroup,
    ReportList,
    ReportMatch,
    ReportMetadata,
    ReportSource,
    ReportSummary,
    SearchHit,
    SearchResults,
    Section,
    ShareLink,
    SimilarReport,
    SimilarReports,
    ThemeDetail,
    ThemeTag,
)


class Public(BaseModel):
    """Base of the public subclasses: ``of(model)`` converts a model and everything in it."""

    # A response always carries every field, defaults included: say so in the schema.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    @classmethod
    def of(cls, model: BaseModel) -> Self:
        return cls.model_validate(model.model_dump())


def snippet_html(snippet: str) -> str:
    """Escape the text, then turn the \\x02/\\x03 marks into <mark>: never raw HTML."""
    return html.escape(snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def plain_snippet(snippet: str) -> str:
    return snippet.replace(MARK_START, "").replace(MARK_END, "")


def original_url(report_id: str, source_url: str | None) -> str:
    """Where to read a report's original: its URL online, or the copy this server keeps."""
    return source_url or f"/api/reports/{report_id}/original"


def _with(data: Any, **links: Any) -> Any:
    """``data`` (a dict being validated) with links added where it lacks them."""
    if isinstance(data, dict):
        return {**{k: v for k, v in links.items() if k not in data}, **data}
    return data


class Linked(Public):
    """A resource with its own API path in ``url``, made from ``url_path`` and its fields."""

    url_path: ClassVar[str]
    url: str

    @model_validator(mode="before")
    @classmethod
    def _url(cls, data: Any) -> Any:
        return _with(data, url=cls.url_path.format(**data)) if isinstance(data, dict) else data


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
class SearchHitPublic(SearchHit, Public):
    """A ranked passage: ``SearchHit`` plus what a page needs to show and link it."""

    snippet_html: str = Field(description="HTML-escaped text with query terms in <mark>.")
    report_url: str = Field(description="API path of the report.")
    original_url: str = Field(description="Where to read the original: its URL, or our copy.")
    more_url: str | None = Field(
        None,
        description="Search results only: this search narrowed to the hit's report, when "
        "the report has more matching passages than the results show.",
    )

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if isinstance(data, dict) and "snippet_html" not in data:
            snippet = data.get("snippet", "")
            data = {
                **data,
                "snippet": plain_snippet(snippet),
                "snippet_html": snippet_html(snippet),
                "report_url": f"/api/reports/{data['report_id']}",
                "original_url": original_url(data["report_id"], data.get("source_url")),
            }
        return data


class ReportGroupPublic(ReportGroup, Public):
    hits: list[SearchHitPublic]
    report_url: str = Field(description="API path of the report.")
    more_url: str | None = Field(
        None,
        description="This search narrowed to the report: every matching passage of it "
        "(null when all are shown).",
    )

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return _with(data, report_url=f"/api/reports/{data['report_id']}")


class SearchResultsPublic(SearchResults, Public):
    k: int
    offset: int
    hits: list[SearchHitPublic]
    groups: list[ReportGroupPublic] | None = Field(
        None, description="The reports view (view=reports): the page's hits, report by report."
    )
    facets: dict[str, dict[str, int]] = Field(
        description="Counts over the whole result set; facet_units says what each counts: "
        "theme (passages), year, review_type, nation, age_band (reports)."
    )


# --------------------------------------------------------------------------- themes
class ThemeDetailPublic(ThemeDetail, Public):
    strongest_passages: list[SearchHitPublic]


# --------------------------------------------------------------------------- reports
class ReportSummaryPublic(ReportSummary, Linked):
    url_path = "/api/reports/{id}"


class ReportsPublic(ReportList, Public):
    data: list[ReportSummaryPublic]


class SimilarReportPublic(SimilarReport, Public):
    report: ReportSummaryPublic


class SimilarReportsPublic(SimilarReports, Public):
    data: list[SimilarReportPublic]


class PassageThemePublic(ThemeTag, Public):
    """A theme on a passage: id, name, confidence, evidence and stage (no character span)."""

    theme_id: str = Field(serialization_alias="id", validation_alias=AliasChoices("theme_id", "id"))
    name: str
    start: int = Field(0, exclude=True)
    end: int = Field(0, exclude=True)


class PassagePublic(Passage, Public):
    """A passage of a report as the API shows it: ``page`` is where it starts."""

    report_id: str = Field("", exclude=True)
    page_start: int = Field(
        serialization_alias="page", validation_alias=AliasChoices("page_start", "page")
    )
    char_start: int = Field(0, exclude=True)
    char_end: int = Field(0, exclude=True)
    themes: list[PassageThemePublic]


class SectionPublic(Section, Public):
    passages: list[PassagePublic]


class ReportMetadataPublic(ReportMetadata, Public):
    age_years: float | None = Field(None, exclude=True)
    evidence: dict[str, Evidence] = Field(description="Where each value was found in the text.")


class SourcePublic(ReportSource, Public):
    original_url: str = Field(description="The original online, or the copy kept at ingest.")


class ReportDetailPublic(ReportDetail, Public):
    metadata: ReportMetadataPublic
    sections: list[SectionPublic]
    source: SourcePublic

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("source"), dict):
            source = data["source"]
            data = {
                **data,
                "source": _with(
                    source, original_url=original_url(data["id"], source.get("source_url"))
                ),
            }
        return data


# --------------------------------------------------------------------------- precedent
class PassageMatchPublic(PassageMatch, Public):
    hit: SearchHitPublic


class ReportMatchPublic(ReportMatch, Public):
    report: ReportSummaryPublic
    passages: list[PassageMatchPublic]


class PrecedentPublic(Precedent, Public):
    reports: list[ReportMatchPublic]
    passages: list[PassageMatchPublic]


# --------------------------------------------------------------------------- packs
class CitationPublic(Citation, Public):
    """A citation with one link to the original (its URL, or the copy this server keeps)."""

    source_url: str | None = Field(None, exclude=True)
    url: str

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return _with(data, url=original_url(data["report_id"], data.get("source_url")))
        return data


class PackItemPublic(PackItem, Public):
    citation: CitationPublic


class PackSummaryPublic(PackSummary, Linked):
    url_path = "/api/packs/{id}"


class PackPublic(Pack, PackSummaryPublic):
    items: list[PackItemPublic]


class PacksPublic(PackList, Public):
    data: list[PackSummaryPublic]


class ShareLinkPublic(ShareLink, Public):
    """A share link with the addresses that open it."""

    page_url: str = Field(description="The read-only page to hand out: /shared/{token}.")
    api_url: str = Field(description="The same pack as JSON: /api/shared/{token}.")

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if isinstance(data, dict) and "token" in data:
            token = data["token"]
            return _with(data, page_url=f"/shared/{token}", api_url=f"/api/shared/{token}")
        return data


class SharedPackPublic(Pack, Public):
    """A pack as its share link shows it: without its id, the key that changes it."""

    id: str = Field("", exclude=True)
    items: list[PackItemPublic]


# --------------------------------------------------------------------------- jobs
class JobPublic(Job, Linked):
    url_path = "/api/jobs/{id}"


class JobsPublic(JobList, Public):
    data: list[JobPublic]


# --------------------------------------------------------------------------- health
class HealthPublic(BaseModel):
    status: Literal["ok"]


class ReadyPublic(BaseModel):
    status: Literal["ready"]
    passages: int
    vectors: int
    generation: int
    read_only: bool = False
