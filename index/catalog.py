"""Read-side views of the knowledge base: themes, reports and their relations.

Search (``index/search.py``) answers "which passages say this?"; the catalog answers
the browsing questions around it: how often each theme occurs and how that changes by
year, which themes travel together, what a report says section by section, which
reports resemble one another. Every query here is plain SQL over the store, except
report similarity, which uses the passage embeddings already stored for search.

The API, the web pages and the CLI all read through these functions, so a count shown
in one place is the count shown everywhere.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from scrkb.errors import InvalidQuery, NotFound
from scrkb.index.store import Store, report_conditions
from scrkb.models import (
    CitedRecommendation,
    CoTheme,
    Passage,
    ReportDetail,
    ReportList,
    ReportSource,
    ReportSummary,
    SearchFilters,
    Section,
    SimilarReport,
    SimilarReports,
    Theme,
    ThemeCount,
    ThemeProfileEntry,
    TrendPoint,
)
from scrkb.nlp.summaries import shorten, summary_passage
from scrkb.nlp.taxonomy import default_taxonomy, theme_name, theme_names

REPORT_SORTS: dict[str, str] = {
    "year": "r.year IS NULL, r.year, r.title COLLATE NOCASE, r.id",
    "-year": "r.year IS NULL, r.year DESC, r.title COLLATE NOCASE, r.id",
    "title": "r.title COLLATE NOCASE, r.id",
    "-title": "r.title COLLATE NOCASE DESC, r.id",
}
FRONT_MATTER = "Front matter"
ABSTRACT_SCAN = 40  # passages read from the start of a report to find its summary
# Provenance keys that describe the server's disk, not the report: never shown.
PRIVATE_PROVENANCE = frozenset({"ingested_from", "original", "path", "file"})


class Catalog:
    """Browsing queries over one store; share one per process (caches per generation)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._centroids: tuple[int, list[str], np.ndarray] | None = None
        self._centroid_lock = threading.Lock()

    # ------------------------------------------------------------------ themes
    def themes(self) -> list[Theme]:
        """Every theme of the taxonomy, in its order, with passage and report counts."""
        counts = self.theme_counts()
        out = []
        for t in default_taxonomy().themes:
            reports, passages = counts.get(t.id, (0, 0))
            out.append(
                Theme(
                    id=t.id,
                    name=t.name,
                    group=t.group,
                    definition=t.definition,
                    reports=reports,
                    passages=passages,
                )
            )
        return out

    def theme(self, theme_id: str) -> Theme:
        """One theme with its counts; NotFound (listing the valid ids) for an unknown id."""
        for t in self.themes():
            if t.id == theme_id:
                return t
        ids = default_taxonomy().ids
        exc = NotFound(f"no theme {theme_id!r}. Valid ids: {', '.join(ids)}")
        exc.details = {"valid": ids}  # type: ignore[attr-defined]
        raise exc

    def theme_counts(self) -> dict[str, tuple[int, int]]:
        """Theme id -> (reports, passages) carrying it."""
        rows = self.store.execute(
            "SELECT t.theme_id, COUNT(DISTINCT p.report_id), COUNT(*) FROM passage_themes t "
            "JOIN passages p ON p.rowid = t.passage_rowid GROUP BY t.theme_id"
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    def theme_trend(self, theme_id: str) -> list[TrendPoint]:
        """Per year: reports carrying the theme and all reports that year, oldest first.

        Both counts are given so a chart can show the share, not just the volume:
        more reviews are published in some years than others.
        """
        tagged = {
            int(r[0]): int(r[1])
            for r in self.store.execute(
                "SELECT r.year, COUNT(DISTINCT r.id) FROM passage_themes t "
                "JOIN passages p ON p.rowid = t.passage_rowid JOIN reports r ON r.id = p.report_id "
                "WHERE t.theme_id = ? AND r.year IS NOT NULL GROUP BY r.year",
                (theme_id,),
            )
        }
        totals = {
            int(r[0]): int(r[1])
            for r in self.store.execute(
                "SELECT year, COUNT(*) FROM reports WHERE year IS NOT NULL GROUP BY year"
            )
        }
        return [
            TrendPoint(year=year, reports=tagged.get(year, 0), all_reports=totals[year])
            for year in sorted(totals)
        ]

    def co_occurring(self, theme_id: str, limit: int = 10) -> list[CoTheme]:
        by_passage = {
            r[0]: int(r[1])
            for r in self.store.execute(
                "SELECT o.theme_id, COUNT(*) FROM passage_themes t JOIN passage_themes o "
                "ON o.passage_rowid = t.passage_rowid AND o.theme_id != t.theme_id "
                "WHERE t.theme_id = ? GROUP BY o.theme_id",
                (theme_id,),
            )
        }
        by_report = {
            r[0]: int(r[1])
            for r in self.store.execute(
                "WITH rt AS (SELECT DISTINCT p.report_id, t.theme_id FROM passage_themes t "
                "JOIN passages p ON p.rowid = t.passage_rowid) "
                "SELECT b.theme_id, COUNT(*) FROM rt a JOIN rt b ON a.report_id = b.report_id "
                "AND b.theme_id != a.theme_id WHERE a.theme_id = ? GROUP BY b.theme_id",
                (theme_id,),
            )
        }
        names = theme_names()
        out = [
            CoTheme(
                id=t,
                name=theme_name(t, names),
                passages=by_passage.get(t, 0),
                reports=by_report.get(t, 0),
            )
            for t in set(by_passage) | set(by_report)
        ]
        out.sort(key=lambda c: (-c.passages, -c.reports, c.id))
        return out[:limit]

    def recommendations_for_theme(
        self, theme_id: str, *, limit: int = 20, offset: int = 0
    ) -> tuple[list[CitedRecommendation], int]:
        """Recommendations the tagger gave this theme, newest reviews first, and the total."""
        where = (
            "FROM recommendations rc JOIN reports r ON r.id = rc.report_id "
            "WHERE EXISTS (SELECT 1 FROM json_each(rc.themes_json) j WHERE j.value = ?)"
        )
        total = int(self.store.execute(f"SELECT COUNT(*) {where}", (theme_id,))[0][0])
        rows = self.store.execute(
            "SELECT rc.report_id, r.title, r.year, r.partnership, rc.number, rc.text, rc.page, "
            f"rc.themes_json, rc.addressee, r.format {where} "
            "ORDER BY r.year IS NULL, r.year DESC, r.title, rc.ordinal LIMIT ? OFFSET ?",
            (theme_id, limit, offset),
        )
        recs = [
            CitedRecommendation(
                report_id=r[0],
                title=r[1],
                year=r[2],
                partnership=r[3],
                number=r[4],
                text=r[5],
                page=r[6],
                themes=json.loads(r[7]),
                addressee=r[8],
                format=r[9],
            )
            for r in rows
        ]
        return recs, total

    # ------------------------------------------------------------------ reports
    def list_reports(
        self,
        filters: SearchFilters | None = None,
        *,
        title_contains: str | None = None,
        sort: str = "-year",
        limit: int = 20,
        offset: int = 0,
    ) -> ReportList:
        """A page of reports passing the filters, and how many pass in all.

        A theme filter keeps reports with at least one passage carrying each theme.
        """
        if sort not in REPORT_SORTS:
            raise InvalidQuery(f"unknown sort {sort!r}: use one of {', '.join(REPORT_SORTS)}")
        where, params = _report_where(filters or SearchFilters(), title_contains)
        total = int(
            self.store.execute(f"SELECT COUNT(*) FROM reports r WHERE {where}", params)[0][0]
        )
        rows = self.store.execute(
            f"SELECT r.*, (SELECT COUNT(*) FROM passages p WHERE p.report_id = r.id) AS n "
            f"FROM reports r WHERE {where} ORDER BY {REPORT_SORTS[sort]} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return ReportList(data=self._summaries(rows), count=total, limit=limit, offset=offset)

    def report_ids_matching(self, report_ids: list[str], filters: SearchFilters) -> set[str]:
        """Those of ``report_ids`` that pass the report-level filters (and theme filters)."""
        if not report_ids:
            return set()
        where, params = _report_where(filters, None)
        rows = self.store.execute(
            f"SELECT r.id FROM reports r WHERE r.id IN ({','.join('?' * len(report_ids))}) "
            f"AND {where}",
            [*report_ids, *params],
        )
        return {r[0] for r in rows}

    def partnerships(self) -> list[tuple[str, int]]:
        """The publishers in the knowledge base, each with its number of reports."""
        rows = self.store.execute(
            "SELECT partnership, COUNT(*) AS n FROM reports WHERE partnership IS NOT NULL "
            "GROUP BY partnership ORDER BY partnership COLLATE NOCASE"
        )
        return [(r["partnership"], int(r["n"])) for r in rows]

    def report_summaries(self, report_ids: list[str]) -> dict[str, ReportSummary]:
        if not report_ids:
            return {}
        rows = self.store.execute(
            "SELECT r.*, (SELECT COUNT(*) FROM passages p WHERE p.report_id = r.id) AS n "
            f"FROM reports r WHERE r.id IN ({','.join('?' * len(report_ids))})",
            report_ids,
        )
        return {s.id: s for s in self._summaries(rows)}

    def report_abstracts(self, report_ids: list[str], max_words: int = 60) -> dict[str, str]:
        """Per report: what happened, in its own words (``nlp.summaries``)."""
        if not report_ids:
            return {}
        rows = self.store.execute(
            "SELECT report_id, text, heading_path_json, section_kind FROM passages "
            f"WHERE report_id IN ({','.join('?' * len(report_ids))}) AND section_kind = 'body' "
            "AND ordinal < ? ORDER BY report_id, ordinal",
            [*report_ids, ABSTRACT_SCAN],
        )
        by_report: dict[str, list[SimpleNamespace]] = {}
        for r in rows:
            by_report.setdefault(r["report_id"], []).append(
                SimpleNamespace(
                    text=r["text"],
                    heading_path=json.loads(r["heading_path_json"]),
                    section_kind=r["section_kind"],
                )
            )
        out = {}
        for report_id, passages in by_report.items():
            text = shorten(summary_passage(passages), max_words)
            if text:
                out[report_id] = text
        return out

    def _summaries(self, rows: list[Any]) -> list[ReportSummary]:
        ids = [r["id"] for r in rows]
        top = self.report_themes(ids)
        abstracts = self.report_abstracts(ids)
        return [
            ReportSummary(
                id=r["id"],
                title=r["title"],
                year=r["year"],
                partnership=r["partnership"],
                review_type=r["review_type"],
                nation=r["nation"],
                age_band=r["age_band"],
                child_code=r["child_code"],
                outcome=r["outcome"],
                status=r["status"],
                page_count=r["page_count"],
                passages=int(r["n"]),
                source_url=r["source_url"],
                format=r["format"],
                top_themes=top.get(r["id"], [])[:5],
                summary=abstracts.get(r["id"]),
            )
            for r in rows
        ]

    def report_themes(self, report_ids: list[str]) -> dict[str, list[ThemeCount]]:
        """Per report: the themes its passages carry, most frequent first."""
        if not report_ids:
            return {}
        names = theme_names()
        out: dict[str, list[ThemeCount]] = {}
        for r in self.store.execute(
            "SELECT p.report_id, t.theme_id, COUNT(*) FROM passage_themes t "
            "JOIN passages p ON p.rowid = t.passage_rowid "
            f"WHERE p.report_id IN ({','.join('?' * len(report_ids))}) "
            "GROUP BY p.report_id, t.theme_id ORDER BY 3 DESC, 2",
            report_ids,
        ):
            out.setdefault(r[0], []).append(
                ThemeCount(id=r[1], name=theme_name(r[1], names), passages=int(r[2]))
            )
        return out

    def report_detail(self, report_id: str) -> ReportDetail:
        """Metadata with evidence, theme profile, recommendations, passages by section."""
        report = self.store.get_report(report_id)  # NotFound for an unknown id
        names = theme_names()
        passages = [
            p.model_copy(
                update={
                    "themes": [
                        t.model_copy(
                            update={
                                "name": theme_name(t.theme_id, names),
                                "confidence": round(t.confidence, 3),
                            }
                        )
                        for t in p.themes
                    ]
                }
            )
            for p in self.store.passages_for_report(report_id)
        ]
        profile: dict[str, ThemeProfileEntry] = {}
        for p in passages:
            for t in p.themes:
                entry = profile.setdefault(
                    t.theme_id,
                    ThemeProfileEntry(
                        id=t.theme_id, name=t.name or t.theme_id, passages=0, max_confidence=0.0
                    ),
                )
                entry.passages += 1
                entry.max_confidence = max(entry.max_confidence, round(t.confidence, 3))
        ranked = sorted(profile.values(), key=lambda e: (-e.passages, -e.max_confidence, e.id))
        provenance = report.provenance
        return ReportDetail(
            id=report.id,
            title=report.title,
            status=report.status,
            status_reason=report.status_reason,
            metadata=report.metadata,
            passages=len(passages),
            theme_profile=ranked,
            recommendations=report.recommendations,
            sections=group_sections(passages),
            source=ReportSource(
                source_url=report.source_url,
                format=report.format,
                sha256=report.sha256,
                size_bytes=report.size_bytes,
                page_count=report.page_count,
                file_name=file_name(report.source, provenance.get("ingested_from"))
                if provenance.get("original") or report.source
                else None,
            ),
            provenance={
                k: v
                for k, v in provenance.items()
                if k not in PRIVATE_PROVENANCE and isinstance(v, str | int | float | bool | None)
            },
            ingested_at=report.ingested_at,
        )

    # ------------------------------------------------------------------ similarity
    def similar_reports(self, report_id: str, *, k: int = 10) -> SimilarReports:
        """Reports whose mean passage embedding is closest (cosine) to this one's."""
        if not self.store.execute("SELECT 1 FROM reports WHERE id = ?", (report_id,)):
            raise NotFound(f"no report with id {report_id!r}")
        ids, matrix = self.centroids()
        if report_id not in ids:
            # a report without passages (no text layer) resembles nothing
            return SimilarReports(report_id=report_id, data=[])
        target = matrix[ids.index(report_id)]
        scores = matrix @ target
        order = [i for i in np.argsort(-scores) if ids[i] != report_id][:k]
        chosen = [ids[i] for i in order]
        summaries = self.report_summaries(chosen)
        themes = self.report_themes([report_id, *chosen])
        mine = {t.id for t in themes.get(report_id, [])}
        out: list[SimilarReport] = []
        for i in order:
            rid = ids[i]
            if rid not in summaries:  # deleted since the centroids were built
                continue
            shared = [t.id for t in themes.get(rid, []) if t.id in mine]
            out.append(
                SimilarReport(
                    report=summaries[rid], score=round(float(scores[i]), 4), shared_themes=shared
                )
            )
        return SimilarReports(report_id=report_id, data=out)

    def centroids(self) -> tuple[list[str], np.ndarray]:
        """(report ids, unit mean passage vectors), rebuilt when the store generation moves."""
        generation = self.store.generation()
        cached = self._centroids
        if cached is not None and cached[0] == generation:
            return cached[1], cached[2]
        with self._centroid_lock:
            if self._centroids is None or self._centroids[0] != generation:
                self._centroids = (generation, *self._build_centroids())
            return self._centroids[1], self._centroids[2]

    def _build_centroids(self) -> tuple[list[str], np.ndarray]:
        sums: dict[str, np.ndarray] = {}
        last = 0
        while True:
            rows = self.store.execute(
                "SELECT rowid, report_id, embedding FROM passages "
                "WHERE rowid > ? AND embedding IS NOT NULL ORDER BY rowid LIMIT 20000",
                (last,),
            )
            if not rows:
                break
            last = int(rows[-1][0])
            for r in rows:
                vec = np.frombuffer(r[2], dtype=np.float32)
                if r[1] in sums:
                    sums[r[1]] += vec
                else:
                    sums[r[1]] = vec.copy()
        if not sums:
            return [], np.zeros((0, 0), dtype=np.float32)
        ids = sorted(sums)
        matrix = np.vstack([sums[i] for i in ids]).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.maximum(norms, 1e-12)
        return ids, matrix


def group_sections(passages: list[Passage]) -> list[Section]:
    """Consecutive passages under the same top-level heading, in reading order."""
    sections: list[Section] = []
    for p in passages:
        heading = p.heading_path[0] if p.heading_path else FRONT_MATTER
        if sections and sections[-1].heading == heading:
            sections[-1].passages.append(p)
        else:
            sections.append(Section(heading=heading, section_kind=p.section_kind, passages=[p]))
    return sections


def _report_where(filters: SearchFilters, title_contains: str | None) -> tuple[str, list[Any]]:
    where, params = report_conditions(filters)
    for theme in filters.themes:
        where.append(
            "EXISTS (SELECT 1 FROM passages p JOIN passage_themes t ON t.passage_rowid = p.rowid "
            "WHERE p.report_id = r.id AND t.theme_id = ?)"
        )
        params.append(theme)
    if title_contains:
        escaped = title_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("r.title LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return (" AND ".join(where) or "1"), params


def file_name(source: str, ingested_from: object) -> str | None:
    """The file's own name (never the server's folders)."""
    candidate = ingested_from if isinstance(ingested_from, str) else source
    if candidate.startswith(("http://", "https://")):
        candidate = candidate.rstrip("/").rsplit("/", 1)[-1]
    name = Path(candidate).name
    return name or None
