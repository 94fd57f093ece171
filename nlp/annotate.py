"""Everything ingest learns about a report beyond its passages: title, metadata,
recommendations and theme tags, in one place so ``ingest`` and ``retag`` agree.

Two halves, because they run at different points of the pipeline: ``describe`` needs only
the text (it runs where the file is extracted), ``tag_report`` needs the passage vectors
(it runs after embedding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from scrkb.models import ExtractedDoc, Passage, Recommendation, ReportMetadata, StructuredDoc

_NOTICE = re.compile(
    r"fictional|not a real|copyright|©|confidential|\bprotect\b|protectively marked|draft", re.I
)


@dataclass
class Annotation:
    title: str | None
    metadata: ReportMetadata
    recommendations: list[Recommendation]
    passages: list[Passage] = field(default_factory=list)


def detect_title(doc: ExtractedDoc) -> str | None:
    """The report's own title: the biggest text on page 1, or the top markup heading.

    File metadata titles are often junk ("Microsoft Word - SCR final v3.docx"), so they
    are the last resort.
    """
    if not doc.pages:
        return doc.title
    lines = [ln for ln in doc.pages[0].lines if ln.text.strip() and not _NOTICE.search(ln.text)]
    marked = [ln for ln in lines if ln.style_level is not None]
    if marked:
        # The first run of top-level heading lines: a one-page text or HTML file also marks
        # its section headings at that level further down.
        top = min(ln.style_level for ln in marked if ln.style_level is not None)
        start = next(i for i, ln in enumerate(lines) if ln.style_level == top)
        run = []
        for ln in lines[start:]:
            if ln.style_level != top:
                break
            run.append(ln.text.strip())
        return _tidy_title(" ".join(run))
    sized = [ln for ln in lines if ln.size]
    if sized:
        return _cover_title(sized)
    if doc.title and not re.search(r"microsoft|untitled|\.docx?$|\.pdf$", doc.title, re.I):
        return _tidy_title(doc.title)
    for ln in lines[:5]:
        if 3 <= len(ln.text.split()) <= 20:
            return _tidy_title(ln.text)
    return None


_CODE = re.compile(r"^(?:Child|Baby|Infant|Family|Young Person|Sibling Group)\s+[A-Z]{1,2}\d?$")
_REVIEW_WORDS = re.compile(r"\b(review|report|briefing|summary|inquiry|investigation)\b", re.I)


def _cover_title(lines: list) -> str | None:
    """A title from a cover set in type sizes: its largest text, unless that is only the
    publisher's name ("Barnsley Safeguarding / Children Partnership"); then the line
    naming the review, with the child's name-code ("Local Child Safeguarding Practice
    Review: Child D"), else the next largest text."""
    from scrkb.reference import find_publishers

    def publisher_only(text: str) -> bool:
        found = find_publishers(text)
        named = found and len(found[0].text) >= len(" ".join(text.split())) - 3
        shaped = re.search(
            r"(?:Safeguarding|Protection)\s+(?:Children\s+)?(?:Partnership|"
            r"Board|Committee)$",
            text.strip(),
            re.I,
        )
        return bool(named or shaped)

    sizes = sorted({round(ln.size or 0, 1) for ln in lines}, reverse=True)
    for size in sizes[:3]:
        title = " ".join(ln.text.strip() for ln in lines if abs((ln.size or 0) - size) <= 0.5)
        if not publisher_only(title):
            break
        review = next(
            (ln.text.strip() for ln in lines[:15]
             if _REVIEW_WORDS.search(ln.text) and len(ln.text.split()) <= 12
             and not publisher_only(ln.text)),
            None,
        )  # fmt: skip
        if review:
            code = next(
                (ln.text.strip() for ln in lines[:15] if _CODE.match(ln.text.strip())), None
            )
            return _tidy_title(f"{review}: {code}" if code and code not in review else review)
    return _tidy_title(title)


def _tidy_title(title: str) -> str | None:
    title = re.sub(r"\s+", " ", title).strip(" -–|:")
    return title[:300] or None


def describe(doc: ExtractedDoc, structured: StructuredDoc) -> Annotation:
    """Title, metadata and (untagged) recommendations: the text alone, no model needed."""
    from scrkb.nlp.metadata import extract_metadata
    from scrkb.nlp.recommendations import extract_recommendations

    title = detect_title(doc)
    return Annotation(
        title=title,
        metadata=extract_metadata(doc, structured, title),
        recommendations=extract_recommendations(structured),
    )


def tag_report(
    passages: list[Passage],
    vectors: np.ndarray | None,
    recommendations: list[Recommendation],
    recommendation_vectors: np.ndarray | None,
) -> list[Passage]:
    """Theme tags for a report's passages (returned) and recommendations (set in place).

    The vectors come from the caller, so the tagger never embeds: a worker process that
    tags gets them from the process that embeds. ``recommendation_vectors`` are of each
    recommendation's plain text, as ``Tagger.tag_recommendations`` would compute them.
    """
    return tag_reports([(passages, vectors, recommendations, recommendation_vectors)])[0]


def tag_reports(
    reports: list[tuple[list[Passage], np.ndarray | None, list[Recommendation], np.ndarray | None]],
) -> list[list[Passage]]:
    """``tag_report`` for several reports in one call of the tagger for their passages and
    one for their recommendations: spaCy's batches fill, and a text's tags do not depend
    on what it is batched with (each is parsed and scored on its own)."""
    from scrkb.nlp.themes import get_tagger

    tagger = get_tagger()
    passages = [p for report in reports for p in report[0]]
    tagged: list[Passage] = []
    if passages:
        if any(report[1] is None for report in reports if report[0]):
            vectors = None  # the tagger embeds them itself
        else:
            vectors = np.vstack([report[1] for report in reports if report[0]])  # type: ignore[misc]
        tagged = tagger.tag_passages(passages, vectors)
    recommendations = [r for report in reports for r in report[2]]
    if recommendations:
        with_vectors = [report[3] for report in reports if report[2]]
        rec_vectors = None if any(v is None for v in with_vectors) else np.vstack(with_vectors)  # type: ignore[arg-type]
        tags = tagger.tag_texts([r.text for r in recommendations], rec_vectors)
        for rec, rec_tags in zip(recommendations, tags, strict=True):
            rec.themes = [t.theme_id for t in rec_tags]
    out, start = [], 0
    for report in reports:
        out.append(tagged[start : start + len(report[0])])
        start += len(report[0])
    return out
