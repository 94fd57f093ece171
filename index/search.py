"""Hybrid search: BM25 (bm25s, in memory) and cosine over every passage, fused by rank.

Reviews say the same thing in many ways ("the baby was not seen" / "the health visitor
spoke to the mother on the doorstep"), so the dense arm finds paraphrases; the lexical
arm keeps exact terms (MARAC, section 47, "was not brought") sharp; a third arm lifts
passages tagged with a theme the query names in its own words. Reciprocal rank fusion
needs no score calibration between the arms, and each hit keeps every arm's rank and
score so the ranking can be explained.

**What counts as a match** is decided apart from ranking, so ``total`` is a count, the
same on every page. A query is *in scope* when some passage holds enough of its words
(``SCRKB_MATCH_MIN_COVERAGE``) or reaches ``SCRKB_MATCH_MIN_SIMILARITY`` in cosine, a
floor calibrated on judged non-relevant pairs and on nonsense queries
(bench/retrieval_quality.py --calibrate): keyboard mash, off-domain questions and lone
everyday words shared by chance match nothing. For a query in scope the floor relaxes to
what is *related*: a passage matches when it holds ``SCRKB_MATCH_RELATED_MIN_COVERAGE``
of the words, or its cosine reaches that floor or is within ``SCRKB_MATCH_RELATED_GAP``
of the best passage's, never under ``SCRKB_MATCH_RELATED_MIN_SIMILARITY``: a relevant
passage worded far from the query no longer falls out when nothing is very close. Both
arms score every passage (a sparse column sum and one matrix-vector product), so counting
costs nothing more than ranking.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np

from scrkb.config import Settings
from scrkb.errors import InvalidQuery
from scrkb.index.arrange import (
    ArrayArrangement,
    arrange,
    arrange_by_date,
    arrange_leading,
    report_years,
)
from scrkb.index.glossary import QueryWord, glossary
from scrkb.index.lexical import (
    LEXICAL_DIR,
    STEMMER,
    STOPWORDS,
    LexicalIndex,
    query_terms,
    sync_lexical_index,
    word_spans,
)
from scrkb.index.store import Store
from scrkb.index.vectors import VectorIndex, sync_vector_index
from scrkb.models import (
    FACET_UNITS,
    HitTheme,
    ScoreParts,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from scrkb.nlp.embedding import get_embedder
from scrkb.nlp.taxonomy import default_taxonomy, theme_name, theme_names

__all__ = ["MARK_END", "MARK_START", "STOPWORDS", "Searcher", "query_terms"]

MAX_QUERY_CHARS = 1000
MARK_START, MARK_END = "\x02", "\x03"

Mode = Literal["hybrid", "bm25", "dense"]
NONSENSE_ZIPF = 2.0  # "qwerty" 2.5 and "jkl" 1.5 in wordfreq; keyboard mash is 0


@dataclass
class Fusion:
    """How the arms are weighed: from settings, or a variant under test (bench/)."""

    rrf_k: int
    bm25_weight: float
    dense_weight: float
    theme_weight: float
    depth: int
    coverage_power: float
    min_similarity: float
    min_coverage: float
    theme_min_similarity: float
    related_gap: float = 0.0
    related_min_similarity: float = 2.0  # with the defaults, only the strict floor counts
    related_min_coverage: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Fusion:
        return cls(
            rrf_k=settings.rrf_k,
            bm25_weight=settings.bm25_weight,
            dense_weight=settings.dense_weight,
            theme_weight=settings.theme_weight,
            depth=settings.candidates,
            coverage_power=settings.coverage_power,
            min_similarity=settings.match_min_similarity,
            min_coverage=settings.match_min_coverage,
            theme_min_similarity=settings.theme_min_similarity,
            related_gap=settings.match_related_gap,
            related_min_similarity=settings.match_related_min_similarity,
            related_min_coverage=settings.match_related_min_coverage,
        )


@dataclass
class Arms:
    """Every arm's score for every passage (by lexical-index position), for one query.

    ``index`` is the lexical index the positions are of: the rest of the search uses it,
    never the searcher's current one, which a job's end or a write may swap mid-query."""

    index: LexicalIndex
    stems: dict[str, str]  # query term -> stem, for the kept terms
    allowed: np.ndarray  # bool [n]: passes the filters and is not a contents page
    bm25: np.ndarray | None = None  # float32 [n]
    matched: np.ndarray | None = None  # int16 [n]: kept query terms held
    terms: int = 0
    cosine: np.ndarray | None = None  # float32 [n]
    theme_sims: dict[str, float] = field(default_factory=dict)  # theme id -> similarity
    theme_conf: np.ndarray | None = None  # float [n, themes] (the lexical index's)
    theme_ids: list[str] = field(default_factory=list)
    # spelt-out forms of the query's shorthand (word -> stem): marked only all together
    together: list[dict[str, str]] = field(default_factory=list)
    # the query's shorthand and its spelt-out forms, when the BM25 arm read it
    expansions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Ranking:
    """The match set in order, and what each arm made of it."""

    cand: np.ndarray  # positions of the matches, ascending
    fused: np.ndarray  # fused score by index into cand
    tiebreak: np.ndarray  # cosine (BM25 in bm25 mode) by index into cand
    arm_ranks: dict[str, tuple[np.ndarray, np.ndarray]]  # arm -> (cand indices best first, scores)
    total: int

    def order(self, count: int | None = None) -> np.ndarray:
        """Indices into ``cand`` of the first ``count`` places (every match: None): passages
        any arm ranked first, by fused score, then the other matches by cosine (BM25 in
        bm25 mode), ties by position. Only what is asked for is sorted: the unranked tail of
        a large match set is partitioned, and a tie at the cut is broken by position, so the
        first ``count`` are those of the whole order."""
        total = len(self.cand)
        count = total if count is None else max(0, min(int(count), total))
        ranked = np.flatnonzero(self.fused > 0)
        tiebreak = self._tiebreak()
        head = ranked[np.lexsort((ranked, -tiebreak[ranked], -self.fused[ranked]))]
        if count <= len(head):
            return head[:count]
        rest = np.flatnonzero(~(self.fused > 0))  # a NaN fused score counts as none
        keys = -tiebreak[rest]
        need = count - len(head)
        if need < len(rest):
            kth = np.partition(keys, need - 1)[need - 1]
            below = np.flatnonzero(keys < kth)
            at = np.flatnonzero(keys == kth)[: need - len(below)]
            chosen = np.sort(np.concatenate([below, at]))
            rest, keys = rest[chosen], keys[chosen]
        tail = rest[np.argsort(keys, kind="stable")]  # rest ascends: ties by position
        return np.concatenate([head, tail])

    def ordered(self, indices: np.ndarray) -> np.ndarray:
        """``indices`` (into ``cand``) in the order of ``order``."""
        fused = self.fused[indices]
        fused = np.where(fused > 0, fused, 0.0)  # unranked (or NaN): by tiebreak alone
        return indices[np.lexsort((indices, -self._tiebreak()[indices], -fused))]

    def _tiebreak(self) -> np.ndarray:
        """The tiebreak with a NaN (a corrupt stored vector) as -inf: last, never lost."""
        tiebreak = self.tiebreak
        if np.isnan(tiebreak).any():
            tiebreak = np.where(np.isnan(tiebreak), -np.inf, tiebreak)
        return tiebreak

    def page(self, start: int, stop: int) -> np.ndarray:
        """Positions of places start..stop-1 (see ``order``)."""
        return self.cand[self.order(stop)[start:stop]]

    def parts(self, positions: np.ndarray) -> dict[int, ScoreParts]:
        """Each arm's rank and score and the fused score, for the given positions."""
        idx = np.searchsorted(self.cand, positions)
        out = {
            int(p): ScoreParts(fused=float(self.fused[i]))
            for p, i in zip(positions, idx, strict=True)
        }
        wanted = {int(i): int(p) for p, i in zip(positions, idx, strict=True)}
        for arm, (top, scores) in self.arm_ranks.items():
            for rank, (i, value) in enumerate(zip(top, scores, strict=True), start=1):
                p = wanted.get(int(i))
                if p is None:
                    continue
                setattr(out[p], f"{arm}_rank", rank)
                setattr(out[p], f"{arm}_score", round(float(value), 4))
        return out


class Searcher:
    """Answers queries over one data home. Load once; share between requests/threads."""

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path, readonly=settings.is_read_only())
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._lexical_lock = threading.Lock()
        self._live: tuple[LexicalIndex, int, np.ndarray | None] | None = None
        self._theme_names = theme_names()  # read once: the taxonomy is fixed per process
        self.fusion = Fusion.from_settings(settings)

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

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index for the store's current generation and tags (rebuilt after writes
        and retags)."""
        index = self._lexical
        if index is not None and index.current_for(self.store):
            return index
        with self._lexical_lock:
            if self._lexical is None or not self._lexical.current_for(self.store):
                self._lexical = sync_lexical_index(self.store, self.settings.home / LEXICAL_DIR)
            return self._lexical

    def live_mask(self, index: LexicalIndex) -> np.ndarray | None:
        """Which of ``index``'s passages are still stored; None when all are (an index of
        the store's current generation). A server answers from the index it has while a
        job writes (``ServingSearcher``): a passage the job replaced or deleted must be
        neither counted nor ranked, or a page would come up short at hydration. Worked out
        once per generation: two counts when nothing was deleted (a job that only adds),
        else every stored rowid."""
        generation = self.store.generation()
        if index.generation == generation:
            self._live = None  # the index it held for may be gone: never keep it alive
            return None
        cached = self._live
        if cached is not None and cached[0] is index and cached[1] == generation:
            return cached[2]
        mask: np.ndarray | None = None
        if index.size and self.store.passages_kept_upto(int(index.rowids[-1])) < index.size:
            mask = np.zeros(index.size, dtype=bool)
            mask[index.positions(self.store.passage_rowids())] = True
        self._live = (index, generation, mask)
        return mask

    def warm(self) -> None:
        """Load the model and both indexes now rather than on the first query."""
        self.vectors()
        self.lexical_index()
        self._theme_vectors()
        self._encode("warm up")

    def _encode(self, text: str) -> np.ndarray:
        return self.embedder.encode_query(text)

    def _theme_vectors(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        return _theme_vectors(self.embedder)

    # ------------------------------------------------------------------ arms
    def query_words(self, text: str) -> list[QueryWord]:
        """The query's words, each with the glossary's other ways of holding it (when
        ``SCRKB_QUERY_GLOSSARY`` is on)."""
        if self.settings.query_glossary:
            return glossary().words(text)
        return [QueryWord(w, ((w,),)) for w in query_terms(text)]

    def query_groups(
        self, words: list[QueryWord], index: LexicalIndex
    ) -> tuple[list[tuple[tuple[str, ...], ...]], dict[str, str], list[dict[str, str]]]:
        """The query's words (``query_words``) worth matching, as groups of stem alternatives (one group per
        word; ``LexicalIndex.score_groups``); the one-word alternatives' words with their
        stems, for marking; and each longer alternative's words, marked only where a
        passage holds all of them ("health" alone is no "health visitor").

        Words in more than ``SCRKB_BM25_MAX_DF`` of passages are left out (near-zero IDF,
        the longest posting lists), everyday kin groups by their commonest word; the
        rarest always stays. Words the index has never seen stay in: "planning permission
        garage" must not match on "planning" alone. Abbreviations always stay: shorthand
        is what the query is about. A word typed beside its abbreviation ("domestic
        violence DV") is read as part of it, not as a group of its own.
        """
        stems = STEMMER.stems(sorted({w for qw in words for alt in qw.alternatives for w in alt}))
        groups: dict[frozenset, tuple[tuple[tuple[str, ...], ...], QueryWord]] = {}
        for qw in words:
            alternatives = tuple(dict.fromkeys(tuple(stems[w] for w in a) for a in qw.alternatives))
            if alternatives:
                groups.setdefault(frozenset(alternatives), (alternatives, qw))
        single = {alts[0][0] for alts, qw in groups.values() if len(alts) == 1 == len(alts[0])}
        spelt = {
            stem
            for alts, qw in groups.values()
            if qw.expansions
            for alt in alts
            if len(alt) > 1 and set(alt) <= single
            for stem in alt
        }
        kept = [
            (alts, qw)
            for alts, qw in groups.values()
            if not (len(alts) == 1 == len(alts[0]) and alts[0][0] in spelt)
        ]
        cut = self.settings.bm25_max_df
        if len(kept) >= 2 and cut < 1 and index.size:
            share = {
                id(qw): max(index.document_frequency(a[0]) for a in alts) / index.size
                for alts, qw in kept
                if not qw.expansions
            }
            common = {key for key, value in share.items() if value > cut}
            if common and len(common) == len(kept):
                common.discard(min(share, key=share.__getitem__))
            kept = [(alts, qw) for alts, qw in kept if id(qw) not in common]
        marks: dict[str, str] = {}
        together: list[dict[str, str]] = []
        for _, qw in kept:
            for alt in qw.alternatives:
                if len(alt) == 1:
                    marks.setdefault(alt[0], stems[alt[0]])
                else:
                    together.append({w: stems[w] for w in alt})
        return [alts for alts, _ in kept], marks, together

    def is_nonsense(
        self, text: str, index: LexicalIndex, words: list[QueryWord] | None = None
    ) -> bool:
        """True when no word of the query is a word: none is in the corpus or in
        wordfreq's English list (Zipf frequency ``NONSENSE_ZIPF`` or more). Keyboard mash
        ("xqzv bpltk wmrrn") then matches nothing, whatever its embedding lands near."""
        if any(w.expansions for w in (self.query_words(text) if words is None else words)):
            return False  # "nqsw", "A&E": shorthand the glossary spells out
        words = query_terms(text)
        if not words:
            return True
        stems = STEMMER.stems(words)
        if any(index.document_frequency(stems[w]) for w in words):
            return False
        from wordfreq import zipf_frequency

        return all(zipf_frequency(w, "en") < NONSENSE_ZIPF for w in words)

    def arms(self, text: str, filters: SearchFilters | None = None, mode: Mode = "hybrid") -> Arms:
        """Score every passage with each arm the mode uses (the dense arm in a worker
        thread beside BM25: latency is the slower arm, not the sum)."""
        index = self.lexical_index()
        allowed = ~index.hidden
        live = self.live_mask(index)
        if live is not None:
            allowed &= live
        if filters is not None and _has_filters(filters):
            mask = np.zeros(index.size, dtype=bool)
            mask[index.positions(self.store.filtered_rowids(filters))] = True
            allowed &= mask
        words = self.query_words(text)  # read once: the nonsense check and BM25 share it
        if self.is_nonsense(text, index, words):
            allowed = np.zeros(index.size, dtype=bool)
        arms = Arms(index=index, stems={}, allowed=allowed)
        future = None
        if mode in ("hybrid", "dense") and text.strip():
            future = _ARM_POOL.submit(self._dense_all, text, index)
        if mode in ("hybrid", "bm25"):
            groups, arms.stems, arms.together = self.query_groups(words, index)
            arms.expansions = {w.word: list(w.expansions) for w in words if w.expansions}
            scores = index.score_groups(groups)
            arms.bm25, arms.matched, arms.terms = scores.bm25, scores.matched, scores.terms
        if future is not None:
            arms.cosine, arms.theme_sims = future.result()
            arms.theme_conf, arms.theme_ids = index.theme_conf, index.theme_ids
        return arms

    def _dense_all(self, text: str, index: LexicalIndex) -> tuple[np.ndarray, dict[str, float]]:
        """Cosine of the query with every passage (by lexical position), and with each theme."""
        vec = self._encode(text)
        ids, scores = self.vectors().inner_products(vec)
        if len(ids) == index.size and np.array_equal(ids, index.rowids):
            cosine = np.asarray(scores, dtype=np.float32)
        else:  # passages without a vector score -1 (never a dense match)
            cosine = np.full(index.size, -1.0, dtype=np.float32)
            pos = np.searchsorted(index.rowids, ids)
            ok = pos < index.size
            ok[ok] = index.rowids[pos[ok]] == ids[ok]
            cosine[pos[ok]] = scores[ok]
        theme_ids, theme_vecs, theme_owner = self._theme_vectors()
        sims = theme_vecs @ vec
        best: dict[str, float] = {}
        for owner, sim in zip(theme_owner, sims, strict=True):
            tid = theme_ids[owner]
            best[tid] = max(best.get(tid, -1.0), float(sim))
        return cosine, best

    def rank(self, arms: Arms, fusion: Fusion, mode: Mode = "hybrid") -> Ranking:
        """The match set, ordered: fused rank over the arms' top ``depth`` matches, then
        the other matches by cosine (or BM25), ties by rowid: one order however the
        results are paged."""
        match = _match(arms, mode, fusion.min_coverage, fusion.min_similarity)
        if match.any():  # in scope: the floor relaxes to what is related (a superset)
            floor = fusion.min_similarity
            if arms.cosine is not None:  # the best of the passages the filters allow
                best = float(arms.cosine[arms.allowed].max())
                floor = max(fusion.related_min_similarity, best - fusion.related_gap)
            coverage = min(fusion.min_coverage, fusion.related_min_coverage)
            match = _match(arms, mode, coverage, min(floor, fusion.min_similarity))
        cand = np.flatnonzero(match)
        total = int(len(cand))
        fused = np.zeros(total, dtype=np.float64)
        arm_ranks: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # arm -> (cand idx, score)
        k = fusion.rrf_k
        if total and arms.bm25 is not None and mode in ("hybrid", "bm25"):
            held = arms.matched[cand] > 0
            top = _top(np.where(held, arms.bm25[cand], -np.inf), fusion.depth)
            top = top[held[top]]
            weight = 1.0
            if mode == "hybrid" and fusion.coverage_power:
                coverage = arms.matched[cand[top]].astype(np.float64) / max(arms.terms, 1)
                weight = coverage**fusion.coverage_power
            fused[top] += fusion.bm25_weight * weight / (k + np.arange(1, len(top) + 1))
            arm_ranks["bm25"] = (top, arms.bm25[cand[top]])
        if total and arms.cosine is not None and mode in ("hybrid", "dense"):
            top = _top(arms.cosine[cand], fusion.depth)
            fused[top] += fusion.dense_weight / (k + np.arange(1, len(top) + 1))
            arm_ranks["dense"] = (top, arms.cosine[cand[top]])
        named = self.named_themes(arms, fusion)
        if total and named and mode == "hybrid" and fusion.theme_weight > 0:
            columns = [arms.theme_ids.index(t) for t in named if t in arms.theme_ids]
            sims = np.asarray([named[arms.theme_ids[c]] for c in columns], dtype=np.float32)
            score = (arms.theme_conf[np.ix_(cand, columns)].astype(np.float32) * sims).max(axis=1)
            top = _top(np.where(score > 0, score, -np.inf), fusion.depth)
            top = top[score[top] > 0]
            fused[top] += fusion.theme_weight / (k + np.arange(1, len(top) + 1))
            arm_ranks["theme"] = (top, score[top])
        tiebreak = (
            arms.cosine[cand]
            if arms.cosine is not None and mode != "bm25"
            else (arms.bm25[cand] if arms.bm25 is not None else np.zeros(total))
        )
        return Ranking(cand=cand, fused=fused, tiebreak=tiebreak, arm_ranks=arm_ranks, total=total)

    def _arrange(
        self, ranking: Ranking, index: LexicalIndex, query: SearchQuery
    ) -> ArrayArrangement:
        """Lay the matches out for reading, ordering only what the page needs: a common
        query at national scale matches tens of thousands of passages, and ordering them
        all cost more than the rest of the search. By relevance, a leading run of the best;
        by date, the years up to the page's end."""
        rowids = index.rowids[ranking.cand]
        codes = index.report_of[ranking.cand]
        if query.sort == "relevance":
            kept = None  # with no write since the index was made, every report is stored
            if self.store.generation() != index.generation:
                kept, _ = report_years(self.store, index.report_ids, codes)
            return arrange_leading(
                ranking.order,
                ranking.ordered,
                rowids,
                ranking.fused,
                codes,
                index.report_ids,
                per_report=query.per_report,
                view=query.view,
                upto=query.offset + query.k,
                kept=kept,
            )
        return arrange_by_date(
            self.store,
            ranking.ordered,
            rowids,
            ranking.fused,
            codes,
            index.report_ids,
            sort=query.sort,
            per_report=query.per_report,
            view=query.view,
            upto=query.offset + query.k,
        )

    def named_themes(self, arms: Arms, fusion: Fusion) -> dict[str, float]:
        """Themes the query names closely enough (its cosine with the theme's name,
        definition or typical wording), strongest first, at most three."""
        close = [(t, s) for t, s in arms.theme_sims.items() if s >= fusion.theme_min_similarity]
        close.sort(key=lambda ts: -ts[1])
        return dict(close[:3])

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
        query_themes: list[HitTheme] = []
        expansions: dict[str, list[str]] = {}
        if not text:
            allowed_sql = self.store.filter_sql(filters) if _has_filters(filters) else None
            ranked, total = self._browse(filters, allowed_sql)
            parts = {rowid: ScoreParts(fused=score) for rowid, score in ranked}
            match_positions = None
            arms = None
            timings["browse"] = _ms(t0)
        else:
            arms = self.arms(text, filters, mode)
            timings["arms"] = _ms(t0)
            t = time.perf_counter()
            ranking = self.rank(arms, self.fusion, mode)
            timings["rank"] = _ms(t)
            index = arms.index
            total = ranking.total
            parts = {}
            match_positions = ranking.cand
            named = self.named_themes(arms, self.fusion) if mode == "hybrid" else {}
            query_themes = [
                HitTheme(id=t, name=theme_name(t, self._theme_names), confidence=round(s, 3))
                for t, s in named.items()
            ]
            expansions = arms.expansions  # empty in dense mode: no word search ran
        t = time.perf_counter()
        if text:
            arranged = self._arrange(ranking, index, query)
        else:
            arranged = arrange(
                self.store, ranked, sort=query.sort, per_report=query.per_report, view=query.view
            )
        page, first_rank = arranged.page(query.offset, query.k)
        if text:
            page_pos = index.positions(np.asarray([rowid for rowid, _ in page], dtype=np.int64))
            parts = {int(index.rowids[p]): v for p, v in ranking.parts(page_pos).items()}
        hits = self._hits(
            page,
            parts,
            arms.stems if arms is not None else {},
            arms.together if arms is not None else [],
            {q.id for q in query_themes},
            start_rank=first_rank,
        )
        for hit in hits:
            hit.report_matches = arranged.matches.get(hit.report_id)
        timings["hydrate"] = _ms(t)
        timings["total"] = _ms(t0)
        facets = None
        if with_facets:
            if match_positions is None:  # browsing: every passage the filters let through
                index = self.lexical_index()
                rowids = self.store.filtered_rowids(filters)
                facets = self._facets_at(index, index.positions(rowids))
            else:
                facets = self._facets_at(index, match_positions)
        return SearchResults(
            query=text,
            total=total,
            hits=hits,
            facets=facets,
            facet_units=dict(FACET_UNITS),
            query_themes=query_themes,
            query_expansions=expansions,
            timings_ms=timings,
            reports=arranged.reports,
            page_total=arranged.unit_count,
            sort=query.sort,
            view=query.view,
            per_report=query.per_report or 0,
        )

    def _browse(
        self, filters: SearchFilters, allowed_sql: tuple[str, list] | None
    ) -> tuple[list[tuple[int, float]], int]:
        """No query text: the strongest passages for the filters (browse by theme), the
        first 1000 of them, and how many there are in all."""
        if filters.themes:
            marks = ",".join("?" * len(filters.themes))
            where = f"WHERE theme_id IN ({marks})"
            params: list = list(filters.themes)
            if allowed_sql is not None:
                where += f" AND passage_rowid IN ({allowed_sql[0]})"
                params.extend(allowed_sql[1])
            total = int(
                self.store.execute(
                    f"SELECT COUNT(DISTINCT passage_rowid) FROM passage_themes {where}", params
                )[0][0]
            )
            sql = (
                f"SELECT passage_rowid, SUM(confidence) AS s FROM passage_themes {where} "
                "GROUP BY passage_rowid ORDER BY s DESC, passage_rowid LIMIT 1000"
            )
            rows = [(int(r[0]), float(r[1])) for r in self.store.execute(sql, params)]
            return rows, total
        sql, params = allowed_sql or self.store.filter_sql(filters)
        total = int(self.store.execute(f"SELECT COUNT(*) FROM ({sql})", params)[0][0])
        rows = self.store.execute(
            f"SELECT p.rowid FROM passages p JOIN reports r ON r.id = p.report_id "
            f"WHERE p.rowid IN ({sql}) ORDER BY r.year DESC, r.title, p.ordinal LIMIT 1000",
            params,
        )
        return [(int(r[0]), 0.0) for r in rows], total

    # ------------------------------------------------------------------ results
    def hydrate(
        self, scored: list[tuple[int, ScoreParts]], *, query: str = "", start_rank: int = 1
    ) -> list[SearchHit]:
        """Passages (by rowid, in the given order) rendered as the ``SearchHit`` search returns.

        For callers that rank passages their own way (precedent finder) but must show them
        exactly as search does.
        """
        page = [(rowid, parts.fused) for rowid, parts in scored]
        stems = STEMMER.stems(query_terms(query)) if query else {}
        return self._hits(page, dict(scored), stems, [], set(), start_rank=start_rank)

    def _hits(
        self,
        page: list[tuple[int, float]],
        parts: dict[int, ScoreParts],
        stems: dict[str, str],
        together: list[dict[str, str]],
        query_themes: set[str],
        *,
        start_rank: int,
    ) -> list[SearchHit]:
        rowids = [rowid for rowid, _ in page]
        passages = self.store.passages_by_rowid(rowids)
        report_ids = sorted({p.report_id for p in passages.values()})
        reports = self._report_rows(report_ids)
        wanted = {stem: term for term, stem in stems.items()}
        hits: list[SearchHit] = []
        for offset, (rowid, score) in enumerate(page):
            passage = passages.get(rowid)
            if passage is None:  # deleted between ranking and hydration
                continue
            report = reports.get(passage.report_id, {})
            snippet, matched = mark_terms(passage.text, wanted, together)
            hits.append(
                SearchHit(
                    rank=start_rank + offset,
                    passage_id=passage.id,
                    report_id=passage.report_id,
                    title=report.get("title", ""),
                    text=passage.text,
                    snippet=snippet,
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
                    format=report.get("format"),
                    paragraph=passage.paragraph,
                    matched_terms=matched,
                    matched_themes=[
                        t.theme_id for t in passage.themes if t.theme_id in query_themes
                    ],
                )
            )
        return hits

    def _report_rows(self, report_ids: list[str]) -> dict[str, dict]:
        if not report_ids:
            return {}
        marks = ",".join("?" * len(report_ids))
        rows = self.store.execute(
            "SELECT id, title, year, partnership, review_type, nation, age_band, source_url, "
            "format "
            f"FROM reports WHERE id IN ({marks})",
            report_ids,
        )
        return {r["id"]: dict(r) for r in rows}

    # ------------------------------------------------------------------ facets
    def facets(self, rowids: list[int]) -> dict[str, dict[str, int]]:
        """Counts over the whole match set, for filter boxes (units: ``FACET_UNITS``).

        Theme counts are matching passages (from the index's tag matrix, exact at any
        size); the report fields count distinct reports holding a matching passage.
        """
        index = self.lexical_index()
        return self._facets_at(index, index.positions(np.asarray(rowids, dtype=np.int64)))

    def _facets_at(self, index: LexicalIndex, pos: np.ndarray) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {name: {} for name in FACET_UNITS}
        if not len(pos):
            return out
        counts = (index.theme_conf[pos] > 0).sum(axis=0)
        ranked = sorted(
            ((t, int(c)) for t, c in zip(index.theme_ids, counts, strict=True) if c),
            key=lambda tc: (-tc[1], tc[0]),
        )
        out["theme"] = dict(ranked)
        reports = [index.report_ids[i] for i in np.unique(index.report_of[pos])]
        for column in ("year", "review_type", "nation", "age_band"):
            tally: dict[str, int] = {}
            for start in range(0, len(reports), 900):
                chunk = reports[start : start + 900]
                for r in self.store.execute(
                    f"SELECT {column}, COUNT(*) FROM reports WHERE id IN "
                    f"({','.join('?' * len(chunk))}) AND {column} IS NOT NULL GROUP BY 1",
                    chunk,
                ):
                    tally[str(r[0])] = tally.get(str(r[0]), 0) + int(r[1])
            out[column] = dict(sorted(tally.items()))
        return out


def mark_terms(
    text: str, wanted: dict[str, str], together: list[dict[str, str]] | None = None
) -> tuple[str, list[str]]:
    """The text with words whose stem is a query stem between MARK_START and MARK_END,
    and the query terms found (in query order), so "assessments" marks "assessed".
    ``wanted`` maps stem -> term; each of ``together`` (term -> stem) is marked only
    where the text holds all of its stems ("health visitor" for "hv", not "health")."""
    if not wanted and not together:
        return text, []
    spans = word_spans(text)
    stems = STEMMER.stems(sorted({w for _, _, w in spans}))
    if together:
        present = set(stems.values())
        wanted = dict(wanted)
        for form in together:
            if set(form.values()) <= present:
                for term, stem in form.items():
                    wanted.setdefault(stem, term)
    out: list[str] = []
    found: set[str] = set()
    last = 0
    for start, end, word in spans:
        stem = stems.get(word)
        if stem in wanted:
            out.append(text[last:start])
            out.append(f"{MARK_START}{text[start:end]}{MARK_END}")
            last = end
            found.add(stem)
    out.append(text[last:])
    return "".join(out), [term for stem, term in wanted.items() if stem in found]


_ARM_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="scrkb-dense")


def _match(arms: Arms, mode: Mode, coverage: float, similarity: float) -> np.ndarray:
    """Passages (not filtered out, not contents) holding ``coverage`` of the query's words
    or reaching ``similarity`` in cosine, by the arms ``mode`` uses."""
    n = len(arms.allowed)
    lex_match = np.zeros(n, dtype=bool)
    dense_match = np.zeros(n, dtype=bool)
    if mode != "dense" and arms.matched is not None and arms.terms:
        lex_match = arms.matched >= max(1, math.ceil(coverage * arms.terms - 1e-9))
    if mode != "bm25" and arms.cosine is not None:
        dense_match = arms.cosine >= similarity
    return (lex_match | dense_match) & arms.allowed


def _top(scores: np.ndarray, depth: int) -> np.ndarray:
    """Indices of the ``depth`` highest scores, best first (ties by index)."""
    if len(scores) > depth:
        part = np.argpartition(-scores, depth - 1)[:depth]
    else:
        part = np.arange(len(scores))
    return part[np.lexsort((part, -scores[part]))]


@lru_cache(maxsize=2)
def _theme_vectors(embedder) -> tuple[list[str], np.ndarray, np.ndarray]:  # noqa: ANN001
    """Each theme's name, definition and typical wording, embedded once per process:
    (theme ids, vectors [texts, 384], owner [texts] = index into the ids)."""
    taxonomy = default_taxonomy()
    ids = list(taxonomy.ids)
    texts: list[str] = []
    owner: list[int] = []
    for i, theme_id in enumerate(ids):
        theme = taxonomy.get(theme_id)
        for text in [theme.name, theme.definition, *theme.typical_wording]:
            texts.append(text)
            owner.append(i)
    return ids, embedder.encode(texts), np.asarray(owner)


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
