"""Hybrid search: BM25 over SQLite FTS5 and cosine over FAISS, fused by reciprocal rank.

Reviews say the same thing in many ways ("the baby was not seen" / "the health visitor
spoke to the mother on the doorstep"), so the dense arm finds paraphrases; the lexical
arm keeps exact terms (MARAC, section 47, "was not brought") sharp. Reciprocal rank
fusion needs no score calibration between the two, and each hit keeps both arms' ranks
and scores so the ranking can be explained.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

from scrkb.config import Settings
from scrkb.errors import InvalidQuery
from scrkb.index.arrange import arrange
from scrkb.index.store import Store
from scrkb.index.vectors import VectorIndex, sync_vector_index
from scrkb.models import (
    HitTheme,
    ScoreParts,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from scrkb.nlp.embedding import get_embedder
from scrkb.nlp.taxonomy import theme_name, theme_names

MAX_QUERY_CHARS = 1000
MARK_START, MARK_END = "\x02", "\x03"

Mode = Literal["hybrid", "bm25", "dense"]

# Function words that would make an FTS5 OR-query touch every row (and add nothing).
STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "what's", "who's", "how's", "s", "t", "don", "shouldn", "wasn", "weren", "won", "wouldn", "isn", "aren", "didn", "doesn", "hadn", "hasn", "haven", "also", "per", "via", "within", "without", "upon", "among", "amongst", "across", "etc", "eg", "ie"]
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")  # Unicode letters: FTS5 folds the accents


def query_terms(text: str) -> list[str]:
    """Content words of a query, lower-cased and de-duplicated in order."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        token = match.group(0).lower().replace("’", "'")
        token = token.split("'")[0]
        if len(token) < 2 or token in STOPWORDS:
            continue
        seen.setdefault(token, None)
    return list(seen)


def fts_expression(terms: list[str]) -> str:
    """An FTS5 OR over quoted terms: quoting makes any user input a safe literal."""
    return " OR ".join(f'"{t}"' for t in terms[:32])


_MARKED = re.compile(f"{MARK_START}([^{MARK_END}]*){MARK_END}")


@dataclass
class LexicalHit:
    rowid: int
    score: float
    coverage: float  # share of the query's kept (not too common) terms this passage matched
    marked: str  # passage text with matched words between MARK_START and MARK_END


class Searcher:
    """Answers queries over one data home. Load once; share between requests/threads."""

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path, readonly=settings.is_read_only())
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        self._theme_names = theme_names()  # read once: the taxonomy is fixed per process
        self._df: tuple[int, int, dict[str, int]] | None = None
        self.store.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.passages_vocab "
            "USING fts5vocab(main, passages_fts, 'row')"
        )

    # ------------------------------------------------------------------ loading
    @property
    def embedder(self):  # noqa: ANN201 - lazy, heavy import
        """Queries are embedded in the form of the vectors they are compared with: the
        store's, whatever this process is configured to ingest with."""
        return self._embedder_for(self.vectors())

    def _embedder_for(self, index: VectorIndex):  # noqa: ANN202
        return get_embedder(
            self.settings.resolved_model_path(),
            self.settings.embed_batch_size,
            form=self.settings.embedding_form_for(None) if index.form is None else index.form,
        )

    def vectors(self) -> VectorIndex:
        """The vector index for the store's current generation (reloaded after writes)."""
        current = self.store.generation()
        index = self._vectors
        if index is not None and index.generation == current:
            return index
        with self._vectors_lock:
            if self._vectors is None or self._vectors.generation != current:
                self._vectors = sync_vector_index(
                    self.store,
                    self.settings.vectors_dir,
                    model_path=self.settings.resolved_model_path(),
                )
            return self._vectors

    def warm(self) -> None:
        """Load the model and index now rather than on the first query."""
        self.vectors()
        self.embedder.encode_query("warm up")

    # ------------------------------------------------------------------ arms
    def lexical(
        self, text: str, limit: int, allowed_sql: tuple[str, list] | None = None
    ) -> list[LexicalHit]:
        """BM25 candidates with the share of the (kept) query terms each one matched.

        FTS5's own ``highlight()`` marks the matched words in the text and the heading;
        stemming those words with FTS5's own tokenizer says which query terms they are,
        so "drug" and "drugs" count once and a match in the heading counts too.
        """
        stems = _STEMMER.stems(query_terms(text))
        by_stem: dict[str, str] = {}
        for term, stem in stems.items():
            by_stem.setdefault(stem, term)  # one term per stem: "neglect neglected" is one
        kept = self._selective(list(by_stem))
        if not kept:
            return []
        sql = (
            "SELECT rowid, bm25(passages_fts, 1.0, 0.3) AS score, "
            f"highlight(passages_fts, 0, '{MARK_START}', '{MARK_END}'), "
            f"highlight(passages_fts, 1, '{MARK_START}', '{MARK_END}') "
            "FROM passages_fts WHERE passages_fts MATCH ?"
        )
        params: list = [fts_expression([by_stem[stem] for stem in kept])]
        if allowed_sql is not None:
            sql += f" AND rowid IN ({allowed_sql[0]})"
            params.extend(allowed_sql[1])
        sql += " ORDER BY score LIMIT ?"
        params.append(limit)
        rows = self.store.execute(sql, params)
        words = {w.lower() for r in rows for col in (r[2], r[3]) for w in _MARKED.findall(col)}
        word_stems = _STEMMER.stems(sorted(words))
        wanted = set(kept)
        hits = []
        for rowid, score, marked, marked_heading in rows:
            found = {
                word_stems.get(w.lower())
                for col in (marked, marked_heading)
                for w in _MARKED.findall(col)
            }
            coverage = len(found & wanted) / len(wanted)
            # bm25() is lower-is-better; report it as a positive relevance score.
            hits.append(LexicalHit(int(rowid), -float(score), coverage, marked))
        return hits

    def _selective(self, stems: list[str]) -> list[str]:
        """Drop stems most passages contain: near-zero IDF, yet the longest posting lists."""
        if len(stems) < 2 or self.settings.bm25_max_df >= 1:
            return stems
        total, freqs = self._document_frequencies(stems)
        kept = [s for s in stems if freqs[s] / (total or 1) <= self.settings.bm25_max_df]
        return kept or [min(stems, key=lambda s: freqs[s])]

    def _document_frequencies(self, stems: list[str]) -> tuple[int, dict[str, int]]:
        """Passages containing each stem, from FTS5's vocabulary, and the passage count.

        Cached per store generation (counting a common term reads its whole doclist). The
        cache is one (generation, total, dict) tuple swapped in whole, so concurrent
        searches never see a half-built one.
        """
        generation = self.store.generation()
        cache = self._df
        if cache is None or cache[0] != generation or len(cache[2]) > 20000:
            total = int(self.store.execute("SELECT COUNT(*) FROM passages")[0][0])
            cache = (generation, total, {})
            self._df = cache
        _, total, freqs = cache
        for stem in stems:
            if stem not in freqs:
                rows = self.store.execute(
                    "SELECT doc FROM temp.passages_vocab WHERE term = ?", (stem,)
                )
                freqs[stem] = int(rows[0][0]) if rows else 0
        return total, {stem: freqs[stem] for stem in stems}

    def dense(
        self, text: str, limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if not text.strip():
            return []
        index = self.vectors()
        vec = self._embedder_for(index).encode_query(text)
        ids, scores = index.search(vec, limit, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    # ------------------------------------------------------------------ search
    def search(
        self, query: SearchQuery, *, mode: Mode = "hybrid", with_facets: bool = False
    ) -> SearchResults:
        text = (query.text or "").strip()
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidQuery(
                f"query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}"
            )
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        filters = query.filters
        has_filters = _has_filters(filters)
        allowed_sql = self.store.filter_sql(filters) if has_filters else None
        # the rowid list only feeds the dense arm's id selector
        needs_ids = has_filters and bool(text) and mode in ("hybrid", "dense")
        allowed = self.store.filtered_rowids(filters) if needs_ids else None
        timings["filters"] = _ms(t0)
        want = query.offset + query.k

        marked: dict[int, str] = {}
        if not text:
            fused = self._browse(filters, allowed_sql)
            parts = {rowid: ScoreParts(fused=score) for rowid, score in fused}
        else:
            depth = max(self.settings.candidates, want)
            lexical: list[LexicalHit] = []
            dense: list[tuple[int, float]] = []
            future = None
            if mode in ("hybrid", "dense"):
                # The arms are independent and both release the GIL (torch, SQLite), so
                # the dense arm runs beside BM25: latency is the slower arm, not the sum.
                future = _ARM_POOL.submit(_timed, self.dense, text, depth, allowed)
            if mode in ("hybrid", "bm25"):
                t = time.perf_counter()
                lexical = self.lexical(text, depth, allowed_sql)
                timings["bm25"] = _ms(t)
            if future is not None:
                dense, timings["dense"] = future.result()
            fused, parts = self._fuse(lexical, dense, weigh_coverage=mode == "hybrid")
            marked = {h.rowid: h.marked for h in lexical}

        total = len(fused)
        arranged = arrange(
            self.store, fused, sort=query.sort, per_report=query.per_report, view=query.view
        )
        page, first_rank = arranged.page(query.offset, query.k)
        t = time.perf_counter()
        hits = self._hits(page, parts, text, marked, start_rank=first_rank)
        for hit in hits:
            hit.report_matches = arranged.matches.get(hit.report_id)
        timings["hydrate"] = _ms(t)
        timings["total"] = _ms(t0)
        facets = self.facets([rowid for rowid, _ in fused]) if with_facets else None
        return SearchResults(
            query=text, total=total, hits=hits, facets=facets, timings_ms=timings,
            reports=arranged.reports, page_total=len(arranged.units), sort=query.sort,
            view=query.view, per_report=query.per_report or 0,
        )

    def _fuse(
        self,
        lexical: list[LexicalHit],
        dense: list[tuple[int, float]],
        *,
        weigh_coverage: bool = True,
    ) -> tuple[list[tuple[int, float]], dict[int, ScoreParts]]:
        """Reciprocal rank fusion; a BM25 hit counts in proportion to its query coverage².

        A passage that shares one everyday word with a paraphrased query ("child") would
        otherwise enter the fusion as strongly as one that matches the whole query.
        """
        k = self.settings.rrf_k
        parts: dict[int, ScoreParts] = {}
        for rank, hit in enumerate(lexical, start=1):
            p = parts.setdefault(hit.rowid, ScoreParts())
            p.bm25_rank, p.bm25_score = rank, round(hit.score, 4)
            weight = hit.coverage**2 if weigh_coverage else 1.0
            p.fused += self.settings.bm25_weight * weight / (k + rank)
        for rank, (rowid, score) in enumerate(dense, start=1):
            p = parts.setdefault(rowid, ScoreParts())
            p.dense_rank, p.dense_score = rank, round(score, 4)
            p.fused += self.settings.dense_weight / (k + rank)
        fused = sorted(parts.items(), key=lambda kv: (-kv[1].fused, kv[0]))
        return [(rowid, p.fused) for rowid, p in fused], parts

    def _browse(
        self, filters: SearchFilters, allowed_sql: tuple[str, list] | None
    ) -> list[tuple[int, float]]:
        """No query text: the strongest passages for the filters (browse by theme)."""
        if filters.themes:
            marks = ",".join("?" * len(filters.themes))
            sql = (
                "SELECT passage_rowid, SUM(confidence) AS s FROM passage_themes "
                f"WHERE theme_id IN ({marks})"
            )
            params: list = list(filters.themes)
            if allowed_sql is not None:
                sql += f" AND passage_rowid IN ({allowed_sql[0]})"
                params.extend(allowed_sql[1])
            sql += " GROUP BY passage_rowid ORDER BY s DESC, passage_rowid LIMIT 1000"
            return [(int(r[0]), float(r[1])) for r in self.store.execute(sql, params)]
        sql, params = allowed_sql or self.store.filter_sql(filters)
        rows = self.store.execute(
            f"SELECT p.rowid FROM passages p JOIN reports r ON r.id = p.report_id "
            f"WHERE p.rowid IN ({sql}) ORDER BY r.year DESC, r.title, p.ordinal LIMIT 1000",
            params,
        )
        return [(int(r[0]), 0.0) for r in rows]

    # ------------------------------------------------------------------ results
    def hydrate(
        self, scored: list[tuple[int, ScoreParts]], *, query: str = "", start_rank: int = 1
    ) -> list[SearchHit]:
        """Passages (by rowid, in the given order) rendered as the ``SearchHit`` search returns.

        For callers that rank passages their own way (precedent finder) but must show them
        exactly as search does.
        """
        page = [(rowid, parts.fused) for rowid, parts in scored]
        return self._hits(page, dict(scored), query, {}, start_rank=start_rank)

    def _hits(
        self,
        page: list[tuple[int, float]],
        parts: dict[int, ScoreParts],
        text: str,
        marked: dict[int, str],
        *,
        start_rank: int,
    ) -> list[SearchHit]:
        rowids = [rowid for rowid, _ in page]
        passages = self.store.passages_by_rowid(rowids)
        report_ids = sorted({p.report_id for p in passages.values()})
        reports = self._report_rows(report_ids)
        snippets = {r: marked[r] for r in rowids if r in marked}
        missing = [r for r in rowids if r not in snippets]
        snippets.update(self._snippets(missing, text))
        hits: list[SearchHit] = []
        for offset, (rowid, score) in enumerate(page):
            passage = passages.get(rowid)
            if passage is None:  # deleted between ranking and hydration
                continue
            report = reports.get(passage.report_id, {})
            hits.append(
                SearchHit(
                    rank=start_rank + offset,
                    passage_id=passage.id,
                    report_id=passage.report_id,
                    title=report.get("title", ""),
                    text=passage.text,
                    snippet=snippets.get(rowid) or passage.text,
                    page=passage.page_start,
                    page_end=passage.page_end,
                    heading_path=passage.heading_path,
                    score=round(score, 6),
                    score_parts=parts.get(rowid, ScoreParts(fused=score)),
                    themes=[
                        HitTheme(
                            id=t.theme_id,
                            name=theme_name(t.theme_id, self._theme_names),
                            confidence=round(t.confidence, 3),
                        )
                        for t in passage.themes
                    ],
                    year=report.get("year"),
                    partnership=report.get("partnership"),
                    review_type=report.get("review_type"),
                    nation=report.get("nation"),
                    age_band=report.get("age_band"),
                    source_url=report.get("source_url"),
                )
            )
        return hits

    def _report_rows(self, report_ids: list[str]) -> dict[str, dict]:
        if not report_ids:
            return {}
        marks = ",".join("?" * len(report_ids))
        rows = self.store.execute(
            "SELECT id, title, year, partnership, review_type, nation, age_band, source_url "
            f"FROM reports WHERE id IN ({marks})",
            report_ids,
        )
        return {r["id"]: dict(r) for r in rows}

    def _snippets(self, rowids: list[int], text: str) -> dict[int, str]:
        """Query terms marked by FTS5's own stemmer, so "assessments" marks "assessed"."""
        terms = query_terms(text)
        if not rowids or not terms:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self.store.execute(
            f"SELECT rowid, highlight(passages_fts, 0, '{MARK_START}', '{MARK_END}') "
            f"FROM passages_fts WHERE passages_fts MATCH ? AND rowid IN ({marks})",
            [fts_expression(terms), *rowids],
        )
        return {int(r[0]): r[1] for r in rows}

    # ------------------------------------------------------------------ facets
    def facets(self, rowids: list[int]) -> dict[str, dict[str, int]]:
        """Counts over the whole result set (at most a few thousand ids), for filter boxes.

        Theme counts are passages; the report fields count distinct reports.
        """
        out: dict[str, dict[str, int]] = {
            "theme": {}, "year": {}, "review_type": {}, "nation": {}, "age_band": {}
        }
        if not rowids:
            return out
        ids = rowids[:5000]
        marks = ",".join("?" * len(ids))
        for r in self.store.execute(
            f"SELECT theme_id, COUNT(*) FROM passage_themes WHERE passage_rowid IN ({marks}) "
            "GROUP BY theme_id ORDER BY 2 DESC, 1",
            ids,
        ):
            out["theme"][r[0]] = r[1]
        for column in ("year", "review_type", "nation", "age_band"):
            for r in self.store.execute(
                f"SELECT r.{column}, COUNT(DISTINCT r.id) FROM passages p JOIN reports r "
                f"ON r.id = p.report_id WHERE p.rowid IN ({marks}) AND r.{column} IS NOT NULL "
                "GROUP BY 1 ORDER BY 1",
                ids,
            ):
                out[column][str(r[0])] = r[1]
        return out


class _FtsStemmer:
    """FTS5's porter tokenizer, run on query terms so they match the index's own stems."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(
            "CREATE VIRTUAL TABLE q USING fts5(t, tokenize='porter unicode61 remove_diacritics 2')"
        )
        self._conn.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}

    def stems(self, terms: list[str]) -> dict[str, str]:
        """Each term's stem (a term the tokenizer splits keeps its last part)."""
        cache = self._cache  # read once: another thread may swap in a fresh dict
        out = {t: cache[t] for t in terms if t in cache}
        todo = [t for t in dict.fromkeys(terms) if t not in out]
        if todo:
            with self._lock:
                self._conn.execute("DELETE FROM q")
                self._conn.executemany(
                    "INSERT INTO q(rowid, t) VALUES (?, ?)", list(enumerate(todo))
                )
                rows = self._conn.execute("SELECT doc, term FROM qv").fetchall()
            fresh = {t: t for t in todo}
            for doc, stem in rows:
                fresh[todo[doc]] = stem
            if len(self._cache) > 50000:
                self._cache = {}
            self._cache.update(fresh)
            out.update(fresh)
        return out


_STEMMER = _FtsStemmer()
_ARM_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="scrkb-dense")


def _timed(fn, *args):  # noqa: ANN001, ANN002, ANN202
    t = time.perf_counter()
    result = fn(*args)
    return result, _ms(t)


def _has_filters(filters: SearchFilters) -> bool:
    return any(
        [
            filters.year_from is not None,
            filters.year_to is not None,
            filters.review_types,
            filters.nations,
            filters.partnerships,
            filters.age_bands,
            filters.themes,
            filters.report_ids,
        ]
    )


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


