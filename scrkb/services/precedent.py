"""Precedent: what earlier reviews found about the issues in a draft.

A review author pastes a draft (or uploads the PDF/DOCX) and asks which published
reviews dealt with the same things and what they recommended. The draft goes through
the same stages as an ingested report (extract, structure, passages, embeddings, theme
tags), so "similar" means the same thing here as in search: each draft passage is
matched against every indexed passage by cosine similarity, and reports are ranked by
how strongly, and by how many of their passages, they match the draft as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import TypeAdapter, ValidationError

from scrkb.config import Settings
from scrkb.errors import ExtractionError, InvalidQuery, InvalidRequest
from scrkb.index.catalog import Catalog
from scrkb.index.search import Searcher
from scrkb.models import (
    DraftTheme,
    ExtractedDoc,
    Passage,
    PassageMatch,
    Precedent,
    PrecedentRequest,
    ReportMatch,
    ScoreParts,
    SearchFilters,
    SearchHit,
    ThemeTag,
    match_strength,
)
from scrkb.nlp.taxonomy import theme_name, theme_names
from scrkb.reference import MAX_DRAFT_CHARS, MIN_DRAFT_WORDS

MAX_DRAFT_PASSAGES = 80  # a long draft is matched on its first 80 passages
DRAFT_FILE_CHARS = 4 * MAX_DRAFT_CHARS  # of an uploaded draft: far more than 80 passages
PER_PASSAGE_DEPTH = 50  # indexed passages fetched per draft passage
REPORT_TOP_PASSAGES = 3  # a report scores the mean of its three best-matching passages
DRAFT_REPORT_ID = "draft"


# --------------------------------------------------------------------------- draft → passages
def draft_from_text(text: str) -> list[Passage]:
    """Passages of a pasted draft, cut exactly as an ingested plain-text report would be."""
    from scrkb.ingest.extract_text import extract_text

    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidQuery(
            f"the draft is {len(text)} characters long; the limit is {MAX_DRAFT_CHARS} "
            "(paste the findings and recommendations, or upload the file)"
        )
    if len(re.findall(r"\w+", text)) < MIN_DRAFT_WORDS:
        raise InvalidQuery(f"the draft needs at least {MIN_DRAFT_WORDS} words to compare")
    data = text.encode("utf-8")
    pages, title, _warnings = extract_text(data)
    doc = ExtractedDoc(
        source="draft",
        sha256="0" * 64,
        format="text",
        size_bytes=len(data),
        page_count=len(pages),
        pages=pages,
        title=title,
    )
    return _passages(doc, fallback=text)


def draft_from_file(path: Path, settings: Settings) -> list[Passage]:
    """Passages of an uploaded draft (PDF, DOCX, HTML or text); refusals are ExtractionErrors.

    The file is read in a child process under the extraction limits (it comes from
    anyone: the precedent finder needs no token), and only its first pages, enough for
    the passages that are matched, go on to be structured and embedded."""
    from scrkb.ingest.isolate import extractor_for

    with extractor_for(settings, ocr=False) as extractor:  # a scan: paste the text
        doc = extractor.extract(path)
    if not doc.has_text:
        raise ExtractionError(
            "scanned", f"{path.name} has no text layer (a scan?): paste the text instead"
        )
    return _passages(_first_pages(doc, DRAFT_FILE_CHARS), fallback=None)


def _first_pages(doc: ExtractedDoc, chars: int) -> ExtractedDoc:
    """The document cut after the page that takes it past ``chars`` characters."""
    total = 0
    for index, page in enumerate(doc.pages):
        total += sum(len(line.text) for line in page.lines)
        if total > chars:
            return doc.model_copy(update={"pages": doc.pages[: index + 1]})
    return doc


def draft_passages(text: str | None, file: Path | None, settings: Settings) -> list[Passage]:
    """The passages of a draft sent as a form: its uploaded file, else its text."""
    if file is not None:
        return draft_from_file(file, settings)
    if text is not None and text.strip():
        return draft_from_text(text)
    raise InvalidRequest("send a `file` (PDF, DOCX, HTML or text) or a `text` field")


def precedent_options(fields: Mapping[str, str]) -> tuple[int, int]:
    """``k`` and ``passages_per_report`` from form fields, checked by the rules of
    ``PrecedentRequest`` (whole numbers in range; "²", "--1" or 5,000 digits are not)."""
    values = []
    for name in ("k", "passages_per_report"):
        raw = fields.get(name)
        spec = PrecedentRequest.model_fields[name]
        if raw is None or not raw.strip():
            values.append(spec.default)
            continue
        try:
            values.append(TypeAdapter(Annotated[int, spec]).validate_python(raw))
        except ValidationError as exc:
            raise InvalidRequest(f"{name}: {exc.errors()[0]['msg']}") from None
    return values[0], values[1]


def _passages(doc: ExtractedDoc, *, fallback: str | None) -> list[Passage]:
    from scrkb.nlp.passages import split_passages
    from scrkb.nlp.structure import structure

    structured = structure(doc)
    passages = split_passages(structured, DRAFT_REPORT_ID)
    if not passages:
        # Too short for a passage of its own: compare the whole text as one.
        text = (structured.text or fallback or "").strip()
        if not text:
            raise InvalidQuery("the draft has no text to compare")
        passages = [
            Passage(
                id=f"{DRAFT_REPORT_ID}-0",
                report_id=DRAFT_REPORT_ID,
                ordinal=0,
                text=text,
                page_start=1,
                page_end=1,
                char_start=0,
                char_end=len(text),
            )
        ]
    return passages


# --------------------------------------------------------------------------- matching
def find_precedent(
    passages: list[Passage],
    searcher: Searcher,
    catalog: Catalog,
    *,
    k: int = 10,
    passages_per_report: int = 3,
    k_passages: int = 10,
    min_similarity: float = 0.0,
    filters: SearchFilters | None = None,
) -> Precedent:
    """The ``k`` reports most like the draft, the themes shared with each, and their advice.

    ``filters`` keep only reports of those types, nations and years; ``min_similarity``
    leaves out reports (scored on their closest passages) and passages below it, and the
    result says how many reports it left out."""
    from scrkb.nlp.embedding import embedding_text
    from scrkb.nlp.themes import get_tagger

    truncated = len(passages) > MAX_DRAFT_PASSAGES
    passages = passages[:MAX_DRAFT_PASSAGES]
    vectors = searcher.embedder.encode([embedding_text(p.text, p.heading_path) for p in passages])
    tags = get_tagger().tag_texts(
        [p.text for p in passages], vectors, [p.section_kind for p in passages]
    )
    draft_themes = _draft_themes(tags)
    words = sum(len(p.text.split()) for p in passages)

    def result(
        reports: list[ReportMatch],
        top_passages: list[PassageMatch] | None = None,
        below_cutoff: int = 0,
    ) -> Precedent:
        return Precedent(
            draft_passages=len(passages),
            draft_words=words,
            truncated=truncated,
            themes=draft_themes,
            reports=reports,
            passages=top_passages or [],
            min_similarity=min_similarity,
            below_cutoff=below_cutoff,
        )

    index = searcher.vectors()
    if index.size == 0:
        return result([])
    scores, ids = index.search_many(vectors, PER_PASSAGE_DEPTH)
    # For every indexed passage: its best similarity to any draft passage, and which one.
    best: dict[int, tuple[float, int]] = {}
    for draft_i in range(len(passages)):
        for rowid, score in zip(ids[draft_i], scores[draft_i], strict=True):
            if rowid < 0:
                continue
            rowid, score = int(rowid), float(score)
            if rowid not in best or score > best[rowid][0]:
                best[rowid] = (score, draft_i)
    if not best:
        return result([])

    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    rows = searcher.store.passage_refs([rowid for rowid, _ in ranked])
    report_of = {rowid: rid for rowid, (_pid, rid) in rows.items()}
    if filters is not None and filters != SearchFilters():
        kept = catalog.report_ids_matching(sorted(set(report_of.values())), filters)
        report_of = {rowid: rid for rowid, rid in report_of.items() if rid in kept}
        ranked = [(rowid, v) for rowid, v in ranked if rowid in report_of]
    per_report: dict[str, list[tuple[int, float, int]]] = {}
    for rowid, (score, draft_i) in ranked:
        rid = report_of.get(rowid)
        if rid is not None:
            per_report.setdefault(rid, []).append((rowid, score, draft_i))

    def report_score(matches: list[tuple[int, float, int]]) -> float:
        top = [s for _, s, _ in matches[:REPORT_TOP_PASSAGES]]
        return sum(top) / REPORT_TOP_PASSAGES

    everyone = sorted(per_report, key=lambda rid: (-report_score(per_report[rid]), rid))
    above = [rid for rid in everyone if report_score(per_report[rid]) >= min_similarity]
    below_cutoff = len(everyone) - len(above)
    order = above[:k]
    ranked = [(rowid, v) for rowid, v in ranked if v[0] >= min_similarity]
    summaries = catalog.report_summaries(order)
    report_themes = catalog.report_themes(order)
    draft_ids = {t.id for t in draft_themes}

    shown_rowids = {rowid for rid in order for rowid, _, _ in per_report[rid][:passages_per_report]}
    shown_rowids |= {rowid for rowid, _ in ranked[:k_passages] if rowid in report_of}
    hits = _hits(searcher, sorted(shown_rowids), best, rows)

    def match(rowid: int) -> PassageMatch | None:
        hit = hits.get(rowid)
        if hit is None:
            return None
        score, draft_i = best[rowid]
        return PassageMatch(
            hit=hit,
            similarity=round(score, 4),
            strength=match_strength(score),
            draft_passage=draft_i + 1,
            draft_excerpt=_excerpt(passages[draft_i].text),
        )

    reports: list[ReportMatch] = []
    recs = searcher.store.recommendations_for_reports(order)
    for rid in order:
        if rid not in summaries:
            continue
        shared = [t for t in report_themes.get(rid, []) if t.id in draft_ids]
        shared_ids = {t.id for t in shared}
        report_recs = recs.get(rid, [])
        # Recommendations on the shared themes first: those are the ones the author wants.
        report_recs.sort(key=lambda r: -len(set(r.themes) & shared_ids))
        reports.append(
            ReportMatch(
                report=summaries[rid],
                score=round(report_score(per_report[rid]), 4),
                strength=match_strength(report_score(per_report[rid])),
                shared_themes=shared,
                passages=[
                    m
                    for rowid, score, _ in per_report[rid][:passages_per_report]
                    if score >= min_similarity and (m := match(rowid)) is not None
                ],
                recommendations=report_recs[:5],
            )
        )
    top_passages = [m for rowid, _ in ranked[:k_passages] if (m := match(rowid)) is not None]
    for rank, m in enumerate(top_passages, start=1):
        m.hit = m.hit.model_copy(update={"rank": rank})
    return result(reports, top_passages, below_cutoff)


def _draft_themes(tags: list[list[ThemeTag]]) -> list[DraftTheme]:
    names = theme_names()
    themes: dict[str, DraftTheme] = {}
    for passage_tags in tags:
        for t in passage_tags:
            entry = themes.setdefault(
                t.theme_id,
                DraftTheme(
                    id=t.theme_id,
                    name=theme_name(t.theme_id, names),
                    confidence=0.0,
                    passages=0,
                ),
            )
            entry.passages += 1
            entry.confidence = max(entry.confidence, round(float(t.confidence), 3))
    return sorted(themes.values(), key=lambda d: (-d.passages, -d.confidence, d.id))


def _hits(
    searcher: Searcher,
    rowids: list[int],
    best: dict[int, tuple[float, int]],
    rows: dict[int, tuple[str, str]],
) -> dict[int, SearchHit]:
    """The matched passages rendered as the same ``SearchHit`` search returns."""
    scored = [
        (rowid, ScoreParts(dense_score=round(best[rowid][0], 4), fused=best[rowid][0]))
        for rowid in rowids
    ]
    # No query text, so no marks: snippets are the plain passage text.
    hits = searcher.hydrate(scored)
    by_id = {h.passage_id: h for h in hits}
    return {rowid: by_id[rows[rowid][0]] for rowid in rowids if rows[rowid][0] in by_id}


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
