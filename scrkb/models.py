"""One data model for every stage: fetch -> extract -> structure -> tag -> index -> serve.

Pipeline records (``ExtractedDoc``, ``Block``, ``Passage``, ``Report``) are what the
stages pass along and the store keeps. Above them, one model per resource that people
see: hits (``SearchHit``), themes (``Theme``, ``ThemeDetail``), reports
(``ReportSummary``, ``ReportDetail``), recommendations, packs, jobs and precedents
(``Precedent``). The index and the services build these, and the CLI's ``--json``, the
API and the web templates all render them, so they cannot drift apart. Where the API's
public shape differs, it is a subclass in ``api/schemas.py`` that adds links or hides
fields; request bodies (``PackCreate``, ``PrecedentRequest``...) live here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrkb.reference import MAX_DRAFT_CHARS

DocFormat = Literal["pdf", "docx", "doc", "html", "text"]

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
    column: int | None = None  # PDF pages set in columns: 0 = left, 1 = right


class PageText(BaseModel):
    number: int  # 1-based, as a reader would cite it
    lines: list[Line]
    width: float | None = None
    height: float | None = None
    ocr_confidence: float | None = None  # set when the page was a scan read by OCR (0-100)


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
    site_name: str | None = (
        None  # a web page's site ("... | Leeds Safeguarding Children Partnership")
    )

    @property
    def has_text(self) -> bool:
        return any(line.text.strip() for page in self.pages for line in page.lines)

    @property
    def ocr_pages(self) -> list[int]:
        """Pages whose text came from OCR of a scan."""
        return [p.number for p in self.pages if p.ocr_confidence is not None]


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
    name: str | None = None  # display name, filled when a passage is served


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


class CitedRecommendation(Recommendation):
    """A recommendation with the report it comes from (theme pages list them)."""

    report_id: str
    title: str
    year: int | None
    partnership: str | None
    format: str | None = Field(
        None, description="The original's format: a web page has no pages to open at."
    )


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
    paragraph: int | None = Field(
        None,
        description="The report's paragraph (1-based, headings not counted) the passage "
        "starts in: how a web page, which has no pages, is cited.",
    )
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
        "review_types",
        "nations",
        "partnerships",
        "age_bands",
        "themes",
        "report_ids",
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


SortOrder = Literal["relevance", "newest", "oldest"]
ResultView = Literal["passages", "reports"]


class SearchQuery(BaseModel):
    text: str = ""
    k: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1000)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    # How the matches are arranged (``index/arrange.py``); the matches themselves and
    # ``total`` do not change. ``newest``/``oldest`` order by the report's year, then
    # relevance. ``reports`` groups hits report by report and pages over reports.
    sort: SortOrder = "relevance"
    view: ResultView = "passages"
    # At most this many hits from one report (0 or None: all). None is filled in by the
    # search use case (``scrkb.services.search``) from ``SCRKB_HITS_PER_REPORT``.
    per_report: int | None = Field(default=None, ge=0, le=100)


class ScoreParts(BaseModel):
    """Why a passage ranked where it did: each arm's rank and raw score, and the fusion."""

    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    theme_rank: int | None = None  # rank among passages carrying a theme the query names
    theme_score: float | None = None  # tag confidence x how closely the query names the theme
    fused: float = 0.0


class HitTheme(BaseModel):
    id: str
    name: str
    confidence: float


class MatchReason(BaseModel):
    """Why a passage matched, in terms a reader can check against the passage."""

    terms: list[str] = Field(
        default_factory=list,
        description="Words of the passage that matched words of the query (as they appear "
        'in the passage, lower-cased); a report\'s name for the child ("Baby Q") never counts.',
    )
    themes: list[HitTheme] = Field(
        default_factory=list,
        description="Themes of the passage that the query asked for: ticked as a filter, or "
        "named by the query in its own words or in other words of the same meaning.",
    )
    meaning: bool = Field(
        False, description="Found by the embedding arm: the passage is close in meaning."
    )


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
    format: str | None = Field(
        None, description="The original's format: a web page (html) is cited by paragraph."
    )
    paragraph: int | None = Field(
        None,
        description="The report's paragraph (1-based, headings not counted) the "
        "passage starts in: the place in a web page.",
    )
    report_matches: int | None = Field(
        None, description="Passages of this hit's report that match the query (all pages)."
    )
    why: MatchReason | None = None
    matched_terms: list[str] = Field(
        default_factory=list,
        description="Query words found in the passage (by stem): part of why it matched.",
    )
    matched_themes: list[str] = Field(
        default_factory=list,
        description="Ids of the themes the query names (``SearchResults.query_themes``) "
        "that this passage is tagged with.",
    )

    @property
    def citation(self) -> Citation:
        """Where the passage is, to cite: the same shape packs and exports cite with."""
        return Citation(
            report_id=self.report_id,
            title=self.title,
            partnership=self.partnership,
            year=self.year,
            page=self.page,
            page_end=self.page_end,
            source_url=self.source_url,
            review_type=self.review_type,
            nation=self.nation,
            format=self.format,
            paragraph=self.paragraph,
        )


class ReportGroup(BaseModel):
    """One report's hits, together (the ``reports`` view)."""

    report_id: str
    title: str
    year: int | None = None
    partnership: str | None = None
    review_type: str | None = None
    nation: str | None = None
    matches: int = Field(description="Passages of this report that match the query.")
    hits: list[SearchHit]


class ThemeSuggestion(BaseModel):
    """A theme the query names, in its words or in other words of the same meaning."""

    id: str
    name: str
    by: Literal["words", "meaning"]
    passages: int = Field(0, description="Passages carrying the theme in the whole knowledge base.")


class SearchSuggestions(BaseModel):
    """What to try instead: a spelling the corpus knows, and themes the query names."""

    spelling: str | None = Field(
        None, description="The query with words the corpus does not contain corrected."
    )
    themes: list[ThemeSuggestion] = Field(default_factory=list)


FACET_UNITS: dict[str, Literal["passages", "reports"]] = {
    "theme": "passages",
    "year": "reports",
    "review_type": "reports",
    "nation": "reports",
    "age_band": "reports",
}


class SearchResults(BaseModel):
    query: str
    total: int = Field(
        description="Passages that match the query and filters: the same on every page. A "
        "passage matches when it holds enough of the query's words or its meaning is close "
        "enough (docs/search.md); nonsense matches nothing."
    )
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="Counts over every match (not only this page); units in facet_units."
    )
    query_themes: list[HitTheme] = Field(
        default_factory=list,
        description="Themes the query names in its own words, with how closely (0-1); "
        "passages tagged with them rank higher.",
    )
    query_expansions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Shorthand in the query and how reviews spell it out, which the word "
        'search also looked for (index/glossary.yaml): {"hv": ["health visitor"]}; empty '
        "when only the meaning was searched (mode dense) or the glossary is off.",
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    reports: int | None = Field(None, description="Distinct reports among the matches.")
    page_total: int | None = Field(
        None,
        description="What k and offset page through: hits once each report is limited to "
        "per_report (the passages view), or reports (the reports view).",
    )
    sort: SortOrder = "relevance"
    view: ResultView = "passages"
    per_report: int = Field(0, description="Most hits shown from one report (0: no limit).")
    groups: list[ReportGroup] | None = Field(
        None, description="The reports view: the page's hits, report by report."
    )
    suggestions: SearchSuggestions | None = None
    facet_units: dict[str, Literal["passages", "reports"]] = Field(
        default_factory=lambda: dict(FACET_UNITS),
        description="What each facet counts: passages or reports.",
    )


# =========================================================================== resources
# What people see. Built by ``index/`` (catalog, search) and ``scrkb/services/``; rendered
# by the CLI, the API (through ``api/schemas.py``) and the web templates.


# --------------------------------------------------------------------------- themes
class ThemeCount(BaseModel):
    """A theme and how many passages carry it (in one report, or shared with a draft)."""

    id: str
    name: str
    passages: int


class Theme(BaseModel):
    """A theme of the coding frame, with how often it occurs in the knowledge base."""

    id: str
    name: str
    group: str
    definition: str
    reports: int = Field(description="Reports with at least one passage carrying the theme.")
    passages: int


class ThemeList(BaseModel):
    data: list[Theme]
    count: int


class TrendPoint(BaseModel):
    year: int
    reports: int = Field(description="Reports published that year carrying the theme.")
    all_reports: int = Field(description="All reports published that year.")


class CoTheme(BaseModel):
    id: str
    name: str
    passages: int = Field(description="Passages tagged with both themes.")
    reports: int = Field(description="Reports carrying both themes.")


class ThemeDetail(Theme):
    trend: list[TrendPoint]
    co_occurring: list[CoTheme]
    strongest_passages: list[SearchHit]
    recommendations: list[CitedRecommendation]
    recommendations_total: int


# --------------------------------------------------------------------------- reports
class ReportSummary(BaseModel):
    """A report in a list: its facts and the themes its passages carry most."""

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
    format: str | None = Field(
        None, description="The original's format: a web page (html) is cited by paragraph."
    )
    top_themes: list[ThemeCount]
    summary: str | None = Field(
        None,
        description="What happened, in the report's own words (its summary or "
        "introduction, cut at whole sentences).",
    )


class ReportList(BaseModel):
    data: list[ReportSummary]
    count: int = Field(description="Reports matching the filters, in all.")
    limit: int
    offset: int


class ThemeProfileEntry(BaseModel):
    id: str
    name: str
    passages: int
    max_confidence: float


class Section(BaseModel):
    """Consecutive passages under one top-level heading, in reading order."""

    heading: str
    section_kind: str
    passages: list[Passage]


class ReportSource(BaseModel):
    """The file a report was read from."""

    source_url: str | None
    format: str
    sha256: str
    size_bytes: int
    page_count: int
    file_name: str | None


class ReportDetail(BaseModel):
    """One report in full: metadata with evidence, themes, recommendations, its text."""

    id: str
    title: str
    status: str
    status_reason: str | None
    metadata: ReportMetadata
    passages: int
    theme_profile: list[ThemeProfileEntry]
    recommendations: list[Recommendation]
    sections: list[Section]
    source: ReportSource
    provenance: dict[str, str | int | float | bool | None]
    ingested_at: datetime | None


class SimilarReport(BaseModel):
    report: ReportSummary
    score: float = Field(description="Cosine similarity of the reports' mean passage vectors.")
    shared_themes: list[str]


class SimilarReports(BaseModel):
    report_id: str
    data: list[SimilarReport]


class Stats(BaseModel):
    """Counts over the knowledge base (``scrkb stats``, ``/api/stats``)."""

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


# --------------------------------------------------------------------------- precedents
MAX_FILTER_VALUES = 100


MatchStrength = Literal["strong", "moderate", "weak"]
# Cosine similarity of MiniLM vectors (int8 form), set by bench/precedent_strength.py on
# seven independent writers' labelled passages: on all of them, 81% of passage matches
# from 0.69 share a theme with the draft passage, 61% from 0.57, 50% below (70%, 60%
# and 51% on writers held out from the choice; docs/search.md).
STRONG_MATCH = 0.69
MODERATE_MATCH = 0.57


def match_strength(similarity: float) -> MatchStrength:
    """How close a match reads, so that weak matches do not look like strong ones."""
    if similarity >= STRONG_MATCH:
        return "strong"
    return "moderate" if similarity >= MODERATE_MATCH else "weak"


class PrecedentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_DRAFT_CHARS,
        description="The draft: findings, analysis or the whole review, as plain text.",
    )
    k: int = Field(10, ge=1, le=50, description="Reports to return.")
    passages_per_report: int = Field(3, ge=1, le=10)
    min_similarity: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Cut-off: leave out reports and passages less similar than this "
        f"(cosine similarity; {MODERATE_MATCH} keeps moderate and strong matches, "
        f"{STRONG_MATCH} strong ones).",
    )
    filters: SearchFilters = Field(
        default_factory=SearchFilters,
        description="Only reports passing these (review types, nations, years, ...); at "
        "most 100 values in each list.",
    )

    @field_validator("filters")
    @classmethod
    def _bounded_filters(cls, value: SearchFilters) -> SearchFilters:
        """Each list becomes SQL parameters: a bounded number, whatever the body holds."""
        for name in (
            "review_types",
            "nations",
            "partnerships",
            "age_bands",
            "themes",
            "report_ids",
        ):
            if len(getattr(value, name)) > MAX_FILTER_VALUES:
                raise ValueError(f"filters.{name}: at most {MAX_FILTER_VALUES} values")
        return value


class DraftTheme(BaseModel):
    id: str
    name: str
    confidence: float  # the strongest tag among the draft's passages
    passages: int = Field(description="Draft passages carrying the theme.")


class PassageMatch(BaseModel):
    hit: SearchHit
    similarity: float
    strength: MatchStrength = "weak"
    draft_passage: int = Field(description="1-based number of the draft passage it matched.")
    draft_excerpt: str


class ReportMatch(BaseModel):
    report: ReportSummary
    score: float
    strength: MatchStrength = Field(
        "weak",
        description=f"strong (score >= {STRONG_MATCH}), moderate (>= {MODERATE_MATCH}) or weak.",
    )
    shared_themes: list[ThemeCount] = Field(
        description="Themes of the draft that this report also carries (passages in the report)."
    )
    passages: list[PassageMatch]
    recommendations: list[Recommendation]


class Precedent(BaseModel):
    """Earlier reviews like a draft: the themes it carries, the closest reports and passages."""

    draft_passages: int
    draft_words: int
    truncated: bool = Field(description="True when only the draft's first passages were used.")
    themes: list[DraftTheme]
    reports: list[ReportMatch]
    passages: list[PassageMatch]
    min_similarity: float = 0.0
    below_cutoff: int = Field(0, description="Matching reports left out by the cut-off.")


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


class Citation(BaseModel):
    """What a reader needs to find a passage again, and to cite it."""

    report_id: str
    title: str
    partnership: str | None
    year: int | None
    page: int
    page_end: int
    source_url: str | None
    review_type: str | None = None
    nation: str | None = None
    format: str | None = Field(
        None, description="The original's format: a web page (html) is cited by paragraph."
    )
    paragraph: int | None = Field(
        None,
        description="The report's paragraph (1-based, headings not counted) the "
        "passage starts in: the place in a web page.",
    )

    @property
    def place(self) -> str:
        """ "p. 4", "pp. 4-5", or for a web page "para. 12" (or "web page" where the
        paragraph is not known: a recommendation, or a passage stored before paragraphs
        were counted)."""
        if self.format == "html":
            return f"para. {self.paragraph}" if self.paragraph else "web page"
        if self.page_end == self.page:
            return f"p. {self.page}"
        return f"pp. {self.page}-{self.page_end}"

    @property
    def place_long(self) -> str:
        if self.format == "html":
            return f"paragraph {self.paragraph}" if self.paragraph else "web page"
        if self.page_end == self.page:
            return f"page {self.page}"
        return f"pages {self.page}-{self.page_end}"


class PackItem(BaseModel):
    passage_id: str = Field(
        description="The passage's id, or for a recommendation rec:REPORT:N (its place in the "
        "report's list)."
    )
    position: int
    kind: Literal["passage", "recommendation"] = "passage"
    number: str | None = Field(None, description="A recommendation's own number.")
    note: str
    text: str
    heading_path: list[str]
    themes: list[str]
    citation: Citation
    added_at: str
    missing: bool = Field(False, description="The passage left the index; the snapshot is shown.")


class PackSummary(BaseModel):
    id: str
    title: str
    description: str
    created_at: str
    updated_at: str
    item_count: int


class Pack(PackSummary):
    items: list[PackItem] = Field(default_factory=list)


class PackList(BaseModel):
    data: list[PackSummary]
    count: int


class ShareLink(BaseModel):
    """A pack's read-only link. Its token is apart from the pack's id, so whoever holds
    the link can read the pack but never change it; revoking it stops every copy."""

    token: str = Field(description="128 random bits; /shared/{token} is the page.")


# --------------------------------------------------------------------------- briefings
class BriefingReference(BaseModel):
    """A report a briefing cites, numbered as in its further-information list."""

    number: int
    report_id: str
    title: str
    partnership: str | None
    year: int | None
    review_type: str | None
    url: str | None = Field(
        description="The publisher's page or file; failing that the kept copy under "
        "SCRKB_PUBLIC_BASE_URL; None when neither is known (never this server's own address)."
    )


class BriefingExtract(BaseModel):
    """A short extract from a passage, with where it comes from."""

    text: str
    reference: int = Field(description="Number of the report in the references.")
    citation: Citation
    url: str | None = Field(description="The original at that page, when it can be linked.")


class Briefing(BaseModel):
    """A 7-minute briefing in the format safeguarding partnerships use: one or two sides
    of A4. Drafted from a pack (``scrkb.services.briefing``); every field can be edited
    before it is downloaded."""

    title: str
    background: str = Field(description="What happened, from the reports' own summaries.")
    why_it_matters: str
    extracts: list[BriefingExtract] = Field(description="What the reviews found.")
    actions: list[str] = Field(description="What to do: practice points, each cited.")
    questions: list[str] = Field(description="Questions for reflection.")
    further_information: list[str] = Field(
        description="One line per source, with its publisher's link."
    )
    references: list[BriefingReference]

    def words(self) -> int:
        """Words a reader reads: the basis of the 900-word budget."""
        parts = [self.title, self.background, self.why_it_matters]
        parts += [e.text for e in self.extracts] + self.actions + self.questions
        parts += self.further_information
        return sum(len(p.split()) for p in parts)


# --------------------------------------------------------------------------- jobs
# the last three: command line only
JobKind = Literal["ingest", "crawl", "retag", "reembed", "reindex"]
# partial: some files of an ingest failed (the job's result lists each with its reason).
JobStatus = Literal["queued", "running", "succeeded", "partial", "failed"]


class CrawlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Source id from the sources registry (as `scrkb crawl` takes it).",
    )
    limit: int | None = Field(None, ge=1, le=100_000, description="Stop after this many reports.")


class Job(BaseModel):
    """A background ingest or crawl, or a command-line ingest or retag, as recorded in
    the store."""

    id: str
    kind: JobKind
    status: JobStatus
    params: dict[str, Any]
    result: dict[str, Any] | None
    message: str | None
    output_tail: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


class JobList(BaseModel):
    data: list[Job]
    count: int
