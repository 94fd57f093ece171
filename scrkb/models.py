"""One data model for every stage: fetch -> extract -> structure -> tag -> index -> serve.

Internal records (``ExtractedDoc``, ``Block``, ``Passage``) are what the pipeline
passes along; the search result (``SearchHit``) is the public shape that the CLI's
``--json``, the API and the web templates all render, so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

DocFormat = Literal["pdf", "docx", "html", "text"]

# What part of a report a block sits in. The tagger suppresses passing mentions in
# contents, terms of reference, glossary and methodology sections (coding frame rules).
SectionKind = Literal[
    "front",  # title page and anything before the first heading
    "contents",
    "terms_of_reference",
    "methodology",
    "glossary",
    "body",
    "recommendations",
    "references",
    "appendix",
]

AGE_BANDS = ("under 1", "1-4", "5-9", "10-14", "15-17")


# --------------------------------------------------------------------------- extract
class Line(BaseModel):
    """One line of text as the source gave it, with the layout hints it had.

    PDF lines carry geometry (for paragraph rebuilding and header detection);
    DOCX/HTML lines are whole paragraphs and carry the markup's own structure.
    """

    text: str
    top: float | None = None  # points from the top of the page (PDF)
    left: float | None = None  # points from the left edge (PDF)
    size: float | None = None  # font size in points, when known
    bold: bool = False
    style_level: int | None = None  # heading level from markup (DOCX style, HTML h1-h6)
    new_block: bool = False  # markup says a new paragraph starts here (DOCX/HTML)
    list_item: bool = False


class PageText(BaseModel):
    number: int  # 1-based, as a reader would cite it
    lines: list[Line]
    width: float | None = None
    height: float | None = None


class ExtractedDoc(BaseModel):
    """Raw text of one file, page by page, before any cleaning."""

    source: str  # absolute path or URL
    sha256: str
    format: DocFormat
    size_bytes: int
    page_count: int
    pages: list[PageText]
    title: str | None = None  # from the file's own metadata, if any
    warnings: list[str] = Field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return any(line.text.strip() for page in self.pages for line in page.lines)


# --------------------------------------------------------------------------- structure
class Block(BaseModel):
    """A heading or a paragraph of the cleaned report."""

    kind: Literal["heading", "paragraph"]
    text: str
    level: int | None = None  # headings only: 1 = top level
    heading_path: list[str] = Field(default_factory=list)  # enclosing headings, outermost first
    section_kind: SectionKind = "body"
    page_start: int
    page_end: int
    char_start: int  # offsets into StructuredDoc.text
    char_end: int
    # offsets into StructuredDoc.text where a later page starts inside this block, in order
    # (page_start + 1, page_start + 2, ...), so a passage cut from the block gets its own pages
    page_breaks: list[int] = Field(default_factory=list)


class StructuredDoc(BaseModel):
    text: str  # the cleaned text: blocks joined by blank lines
    blocks: list[Block]
    stats: dict[str, int] = Field(default_factory=dict)  # what cleaning removed or repaired


# --------------------------------------------------------------------------- tag
class ThemeTag(BaseModel):
    theme_id: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str  # the sentence that supports the tag
    start: int  # character span of the evidence in the passage text
    end: int
    stage: str = "rules"  # which stage decided: rules, semantic, both


class Evidence(BaseModel):
    """Where a metadata field's value came from."""

    value: str | int | list[str] | None
    evidence: str | None = None
    page: int | None = None
    method: str = "text"  # text, title_page, filename, listing, file_metadata


class ReportMetadata(BaseModel):
    review_type: str | None = None  # scr, lcspr, national, rapid, cpr, susr, lr, cmr, other
    nation: str | None = None  # England, Wales, Scotland, Northern Ireland
    partnership: str | None = None
    year: int | None = None
    child_code: str | None = None  # "Child C", "Baby V"
    age_text: str | None = None
    age_years: float | None = None
    age_band: str | None = None
    sex: str | None = None
    outcome: str | None = None  # died, serious harm
    agencies: list[str] = Field(default_factory=list)
    evidence: dict[str, Evidence] = Field(default_factory=dict)


class Recommendation(BaseModel):
    number: str
    text: str
    addressee: str | None = None
    page: int | None = None
    themes: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- passages
class Passage(BaseModel):
    id: str  # stable: derived from the report id and the passage text
    report_id: str
    ordinal: int
    text: str
    heading_path: list[str] = Field(default_factory=list)
    section_kind: SectionKind = "body"
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    themes: list[ThemeTag] = Field(default_factory=list)


class Report(BaseModel):
    id: str
    title: str
    source: str  # path or URL it was ingested from
    source_url: str | None = None  # where a reader can find the original online
    sha256: str
    format: DocFormat
    size_bytes: int
    page_count: int
    status: Literal["ok", "no_text"] = "ok"
    status_reason: str | None = None
    metadata: ReportMetadata = Field(default_factory=ReportMetadata)
    recommendations: list[Recommendation] = Field(default_factory=list)
    provenance: dict[str, str | int | None] = Field(default_factory=dict)
    ingested_at: datetime | None = None


# --------------------------------------------------------------------------- search
class SearchFilters(BaseModel):
    year_from: int | None = None
    year_to: int | None = None
    review_types: list[str] = Field(default_factory=list)
    nations: list[str] = Field(default_factory=list)
    partnerships: list[str] = Field(default_factory=list)
    age_bands: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)  # a passage must carry all of them
    report_ids: list[str] = Field(default_factory=list)

    @field_validator(
        "review_types", "nations", "partnerships", "age_bands", "themes", "report_ids",
        mode="before",
    )
    @classmethod
    def _none_is_empty(cls, value: list[str] | None) -> list[str]:
        """CLI options and query parameters arrive as None when not given."""
        return [] if value is None else value

    @field_validator("review_types")
    @classmethod
    def _lower_types(cls, value: list[str]) -> list[str]:
        """Review types are stored as lower-case codes (scr, lcspr, cpr, ...)."""
        return [t.lower() for t in value]


class SearchQuery(BaseModel):
    text: str = ""
    k: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1000)
    filters: SearchFilters = Field(default_factory=SearchFilters)


class ScoreParts(BaseModel):
    """Why a passage ranked where it did: each arm's rank and raw score, and the fusion."""

    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    fused: float = 0.0


class HitTheme(BaseModel):
    id: str
    name: str
    confidence: float


class SearchHit(BaseModel):
    rank: int
    passage_id: str
    report_id: str
    title: str
    text: str
    snippet: str  # the text with query terms between \x02 and \x03 (render: escape, then mark)
    page: int
    page_end: int
    heading_path: list[str]
    score: float
    score_parts: ScoreParts
    themes: list[HitTheme]
    year: int | None = None
    partnership: str | None = None
    review_type: str | None = None
    nation: str | None = None
    age_band: str | None = None
    source_url: str | None = None


class SearchResults(BaseModel):
    query: str
    total: int  # candidates considered after filters (lower bound when capped)
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] | None = None  # counts over the whole result set
    timings_ms: dict[str, float] = Field(default_factory=dict)
