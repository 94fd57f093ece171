"""Everything ingest learns about a report beyond its passages: title, metadata,
recommendations and theme tags, in one place so ``ingest`` and ``retag`` agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from scrkb.models import ExtractedDoc, Passage, Recommendation, ReportMetadata, StructuredDoc

_NOTICE = re.compile(r"fictional|not a real|copyright|©|confidential|protect|draft", re.I)


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
        biggest = max(ln.size or 0 for ln in sized)
        title = " ".join(ln.text.strip() for ln in sized if (ln.size or 0) >= biggest - 0.5)
        return _tidy_title(title)
    if doc.title and not re.search(r"microsoft|untitled|\.docx?$|\.pdf$", doc.title, re.I):
        return _tidy_title(doc.title)
    for ln in lines[:5]:
        if 3 <= len(ln.text.split()) <= 20:
            return _tidy_title(ln.text)
    return None


def _tidy_title(title: str) -> str | None:
    title = re.sub(r"\s+", " ", title).strip(" -–|:")
    return title[:300] or None


class Annotator:
    """Metadata, recommendations and theme tags for one report."""

    def __init__(self) -> None:
        from scrkb.nlp.themes import get_tagger

        self.tagger = get_tagger()

    def annotate(
        self,
        doc: ExtractedDoc,
        structured: StructuredDoc,
        passages: list[Passage],
        vectors: np.ndarray | None,
    ) -> Annotation:
        from scrkb.nlp.metadata import extract_metadata
        from scrkb.nlp.recommendations import extract_recommendations

        tagged = self.tagger.tag_passages(passages, vectors)
        recommendations = extract_recommendations(structured)
        if recommendations:
            self.tagger.tag_recommendations(recommendations)
        title = detect_title(doc)
        return Annotation(
            title=title,
            metadata=extract_metadata(doc, structured, title),
            recommendations=recommendations,
            passages=tagged,
        )


@lru_cache(maxsize=1)
def get_annotator() -> Annotator:
    return Annotator()
