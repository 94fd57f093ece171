"""The lexical arm: BM25 (bm25s) over every passage, held in memory and kept per generation.

SQLite FTS5 answers a few thousand passages well, but an OR over common words scores
every posting through ``bm25()`` and sorts them, which at 300,000 passages costs hundreds
of milliseconds. bm25s keeps the BM25 weight of each (term, passage) in a sparse matrix,
so a query is a sum of a few columns: the scores of *every* passage at once, in a few
milliseconds. Having all of them is what lets search count its matches honestly
(``total``) and rank any page the same way.

The index is derived from the store, like the vector index: built on first use after a
write, saved atomically under ``<home>/lexical/`` with the store generation it reflects,
and rebuilt in memory (not saved) for a read-only home whose saved copy is stale.
Terms are lower-cased, accent-folded words stemmed by SQLite FTS5's own Porter tokenizer,
so "assessments" finds "assessed" exactly as the store's full-text table would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scrkb.nlp.clean import is_contents_passage

if TYPE_CHECKING:
    from scrkb.index.store import Store

LEXICAL_DIR = "lexical"
FORMAT = "bm25s-porter-v2"  # v2: "A&E" is one word
BUILD_CHUNK = 5000  # passages whose words are held as strings at once while building
TAG_CHUNK = 50_000  # theme tags read at once while building

# Function words that would make a query touch every passage (and add nothing).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "what's",
        "who's",
        "how's",
        "s",
        "t",
        "don",
        "shouldn",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "isn",
        "aren",
        "didn",
        "doesn",
        "hadn",
        "hasn",
        "haven",
        "also",
        "per",
        "via",
        "within",
        "without",
        "upon",
        "among",
        "amongst",
        "across",
        "etc",
        "eg",
        "ie",
    ]
)
# A word, or "A&E" as one word: its letters alone are too short to keep, and UK reviews
# write it far more often than "accident and emergency".
_TOKEN = re.compile(r"[A-Za-z] ?& ?[A-Za-z](?![^\W_])|[^\W_]+(?:['’][^\W_]+)?")


def fold(word: str) -> str:
    """Lower case without accents ("Café" -> "cafe"), as FTS5's remove_diacritics does."""
    if "&" in word:
        return word.lower().replace(" ", "")  # "A & E" -> "a&e"
    word = word.lower().replace("’", "'").split("'")[0]
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def query_terms(text: str) -> list[str]:
    """Content words of a query, lower-cased and de-duplicated in order."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        token = fold(match.group(0))
        if len(token) < 2 or token in STOPWORDS:
            continue
        seen.setdefault(token, None)
    return list(seen)


def typed_words(text: str) -> list[str]:
    """Each word of a text as typed (case kept, not folded): the words query_terms reads."""
    return [m.group(0) for m in _TOKEN.finditer(text)]


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded word) for each word of a text: what highlighting marks."""
    return [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(text)]


class Stemmer:
    """FTS5's porter tokenizer run on words, so terms match the store's own stems."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(
            "CREATE VIRTUAL TABLE q USING fts5(t, tokenize='porter unicode61 remove_diacritics 2')"
        )
        self._conn.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}

    def stems(self, words: list[str]) -> dict[str, str]:
        """Each word's stem (a word the tokenizer splits keeps its last part)."""
        cache = self._cache  # read once: another thread may swap in a fresh dict
        out = {w: cache[w] for w in words if w in cache}
        todo = [w for w in dict.fromkeys(words) if w not in out]
        for word in [w for w in todo if "&" in w]:  # "a&e": the tokenizer would split it
            out[word] = word
        todo = [w for w in todo if "&" not in w]
        for start in range(0, len(todo), 5000):
            chunk = todo[start : start + 5000]
            with self._lock:
                self._conn.execute("DELETE FROM q")
                self._conn.executemany(
                    "INSERT INTO q(rowid, t) VALUES (?, ?)", list(enumerate(chunk))
                )
                rows = self._conn.execute("SELECT doc, term FROM qv").fetchall()
            fresh = {w: w for w in chunk}
            for doc, stem in rows:
                fresh[chunk[doc]] = stem
            if len(self._cache) > 200_000:
                self._cache = {}
            self._cache.update(fresh)
            out.update(fresh)
        return out


STEMMER = Stemmer()


def passage_tokens(texts: list[str]) -> list[list[str]]:
    """Stemmed content words of each text (stopwords out), for indexing."""
    words = [[fold(m.group(0)) for m in _TOKEN.finditer(t)] for t in texts]
    vocab = sorted({w for ws in words for w in ws if len(w) >= 2 and w not in STOPWORDS})
    stems = STEMMER.stems(vocab)
    return [[stems[w] for w in ws if w in stems] for ws in words]


def passage_token_ids(texts: list[str], vocab: dict[str, int]) -> list[array]:
    """Each text's stems as vocabulary ids (new stems join ``vocab``), one compact int32
    array per passage. At 300,000 passages lists of stem strings would need gigabytes;
    these need a few bytes per word."""
    return [
        array("i", [vocab.setdefault(stem, len(vocab)) for stem in stems])
        for stems in passage_tokens(texts)
    ]


def bm25_from_chunks(chunks: Iterable[list[str]]):  # noqa: ANN201 - bm25s.BM25, lazy import
    """A bm25s index over texts that arrive a chunk at a time: only one chunk's words are
    ever held as strings, so the build's memory grows with the postings, not the text."""
    import bm25s

    vocab: dict[str, int] = {}
    ids: list[array] = []
    for chunk in chunks:
        ids.extend(passage_token_ids(chunk, vocab))
    if not vocab:  # nothing indexable: one placeholder term, as bm25s needs a vocabulary
        vocab = {"\x00": 0}
        ids = [array("i", [0]) for _ in ids] or [array("i", [0])]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index((ids, vocab), show_progress=False)
    return retriever


@dataclass
class LexicalScores:
    """BM25 score and the number of query terms matched, for every passage (by position)."""

    bm25: np.ndarray  # float32 [n]
    matched: np.ndarray  # int16 [n]: how many of the query's kept terms the passage holds
    terms: int  # the query's kept terms (the denominator of coverage)

    @property
    def coverage(self) -> np.ndarray:
        return self.matched / max(self.terms, 1)


class LexicalIndex:
    """BM25 over the passages of one store generation, with each passage's themes.

    Positions (0..n-1) follow passage rowids in ascending order; ``rowids[i]`` is the
    passage at position i. ``hidden`` marks passages that are never a hit (contents
    pages that slipped through structuring).
    """

    def __init__(
        self,
        bm25,  # noqa: ANN001 - bm25s.BM25, imported lazily
        rowids: np.ndarray,
        hidden: np.ndarray,
        theme_ids: list[str],
        theme_conf: np.ndarray,
        report_of: np.ndarray,
        report_ids: list[str],
        generation: int,
        annotations: int = 0,
    ) -> None:
        self.bm25 = bm25
        self.rowids = rowids
        self.hidden = hidden
        self.theme_ids = theme_ids
        self.theme_conf = theme_conf  # float16 [n, themes]: tag confidence, 0 where untagged
        self.report_of = report_of  # int32 [n]: index into report_ids
        self.report_ids = report_ids
        self.generation = generation
        self.annotations = annotations  # the store's retag count its tags reflect
        indptr = bm25.scores["indptr"]
        self._df = np.diff(indptr)

    def current_for(self, store: Store) -> bool:
        """Whether this index reflects the store's passages and tags as they are now."""
        return self.generation == store.generation() and self.annotations == store.annotations()

    @property
    def size(self) -> int:
        return int(len(self.rowids))

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, store: Store) -> LexicalIndex:
        generation, annotations = store.generation(), store.annotations()
        rowids: list[int] = []
        hidden: list[bool] = []
        report_of: list[int] = []
        report_index: dict[str, int] = {}

        def chunks() -> Iterator[list[str]]:
            """Each chunk's texts; fills rowids, hidden and report_of as it goes (the
            build reads every chunk before it uses them)."""
            last = 0
            while True:
                rows = store.execute(
                    "SELECT rowid, text, heading_path_json, section_kind, report_id "
                    "FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (last, BUILD_CHUNK),
                )
                if not rows:
                    return
                texts: list[str] = []
                for rowid, text, heading_json, section_kind, report_id in rows:
                    report_of.append(report_index.setdefault(report_id, len(report_index)))
                    heading = json.loads(heading_json or "[]")
                    rowids.append(int(rowid))
                    texts.append(f"{heading[-1]} {text}" if heading else text)
                    hidden.append(section_kind == "contents" or is_contents_passage(text))
                last = int(rows[-1][0])
                yield texts

        retriever = bm25_from_chunks(chunks())
        ids = np.asarray(rowids, dtype=np.int64)
        themes, conf = _theme_matrix(store, ids)
        return cls(
            retriever,
            ids,
            np.asarray(hidden, dtype=bool),
            themes,
            conf,
            np.asarray(report_of, dtype=np.int32),
            list(report_index),
            generation,
            annotations,
        )

    # ------------------------------------------------------------------ query
    def document_frequency(self, stem: str) -> int:
        token = self.bm25.vocab_dict.get(stem)
        return 0 if token is None else int(self._df[token])

    def score(self, stems: list[str]) -> LexicalScores:
        """BM25 of every passage for these (already chosen) stems, and how many it holds."""
        n = self.size
        matched = np.zeros(n, dtype=np.int16)
        token_ids = [self.bm25.vocab_dict[s] for s in stems if s in self.bm25.vocab_dict]
        if not token_ids or n == 0:
            return LexicalScores(np.zeros(n, dtype=np.float32), matched, len(stems))
        # bm25s's own get_scores() does this with np.add.at; a passage appears once in a
        # term's postings, so a plain fancy-index add gives the same sums, several times faster
        data = self.bm25.scores["data"]
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        scores = np.zeros(n, dtype=np.float32)
        for token in token_ids:
            docs = indices[indptr[token] : indptr[token + 1]]
            scores[docs] += data[indptr[token] : indptr[token + 1]]
            matched[docs] += 1
        return LexicalScores(scores[:n], matched, len(stems))

    def score_groups(self, groups: list[tuple[tuple[str, ...], ...]]) -> LexicalScores:
        """BM25 for a query whose words may each be held in several ways (glossary
        groups: "hv" or "health visitor"). A passage holds a group when it holds every
        stem of one of its alternatives; its BM25 for the group is the best such
        alternative's sum, so a passage saying both is not counted twice. Groups of one
        single-stem alternative score exactly as ``score`` does."""
        if all(len(g) == 1 and len(g[0]) == 1 for g in groups):
            return self.score([g[0][0] for g in groups])
        n = self.size
        scores = np.zeros(n, dtype=np.float32)
        matched = np.zeros(n, dtype=np.int16)
        data = self.bm25.scores["data"]
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        best = np.zeros(n, dtype=np.float32)
        held = np.zeros(n, dtype=bool)
        for group in groups:
            best[:] = 0
            held[:] = False
            for alternative in group:
                if len(alternative) == 1:  # one posting list: touch only its passages
                    token = self.bm25.vocab_dict.get(alternative[0])
                    if token is None:
                        continue
                    docs = indices[indptr[token] : indptr[token + 1]]
                    best[docs] = np.maximum(best[docs], data[indptr[token] : indptr[token + 1]])
                    held[docs] = True
                    continue
                parts = self.score(list(alternative))
                whole = parts.matched == len(alternative)
                np.maximum(best, np.where(whole, parts.bm25, 0.0), out=best)
                held |= whole
            scores += best
            matched += held
        return LexicalScores(scores, matched, len(groups))

    def positions(self, rowids: np.ndarray) -> np.ndarray:
        """Positions of the given rowids (those not indexed are left out)."""
        rowids = np.asarray(rowids, dtype=np.int64)
        pos = np.searchsorted(self.rowids, rowids)
        ok = pos < len(self.rowids)
        ok[ok] = self.rowids[pos[ok]] == rowids[ok]
        return pos[ok]

    # ------------------------------------------------------------------ disk
    def save(self, directory: Path) -> None:
        """Write into a fresh folder, then swap it in: readers never see half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
        try:
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
            np.save(tmp / "rowids.npy", self.rowids)
            np.save(tmp / "hidden.npy", self.hidden)
            np.save(tmp / "theme_conf.npy", self.theme_conf)
            np.save(tmp / "report_of.npy", self.report_of)
            manifest = {
                "format": FORMAT,
                "generation": self.generation,
                "annotations": self.annotations,
                "count": self.size,
                "themes": self.theme_ids,
                "reports": self.report_ids,
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
            os.chmod(tmp, 0o755)
            old = directory.with_name(f".{directory.name}-old-{os.getpid()}")
            if directory.exists():
                os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The saved index, or None when missing, foreign or unreadable."""
        import bm25s

        try:
            manifest = json.loads((directory / "manifest.json").read_text())
            if manifest.get("format") != FORMAT:
                return None
            retriever = bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
            rowids = np.load(directory / "rowids.npy")
            hidden = np.load(directory / "hidden.npy")
            conf = np.load(directory / "theme_conf.npy")
            report_of = np.load(directory / "report_of.npy")
            report_ids = list(manifest["reports"])
            generation = int(manifest["generation"])
            annotations = int(manifest.get("annotations", 0))
            themes = list(manifest["themes"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(rowids) != manifest.get("count") or len(hidden) != len(rowids):
            return None
        return cls(
            retriever, rowids, hidden, themes, conf, report_of, report_ids, generation, annotations
        )


def _theme_matrix(store: Store, rowids: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each passage's tag confidence per theme (0 where untagged), by position."""
    from scrkb.nlp.taxonomy import default_taxonomy

    themes = default_taxonomy().ids
    column = {t: i for i, t in enumerate(themes)}
    conf = np.zeros((len(rowids), len(themes)), dtype=np.float16)
    last: tuple[int, str] = (-1, "")
    while True:  # a chunk at a time, in key order: a national store holds a million tags
        rows = store.execute(
            "SELECT passage_rowid, theme_id, confidence FROM passage_themes "
            "WHERE (passage_rowid, theme_id) > (?, ?) ORDER BY passage_rowid, theme_id LIMIT ?",
            (*last, TAG_CHUNK),
        )
        if not rows:
            break
        last = (int(rows[-1][0]), rows[-1][1])
        rids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        pos = np.searchsorted(rowids, rids)
        for p, rid, r in zip(pos, rids, rows, strict=True):
            if p < len(rowids) and rowids[p] == rid and r[1] in column:
                conf[p, column[r[1]]] = max(float(conf[p, column[r[1]]]), float(r[2]))
    return themes, conf


_LOCK = threading.Lock()


def sync_lexical_index(store: Store, directory: Path) -> LexicalIndex:
    """The index for the store's current generation: loaded if fresh, else rebuilt (and
    saved unless the store is read-only, where it lives in memory only)."""
    loaded = LexicalIndex.load(directory)
    if loaded is not None and loaded.current_for(store):
        return loaded
    del loaded  # a stale index is as large as the one about to be built
    with _LOCK:
        again = LexicalIndex.load(directory)  # another thread may have built it meanwhile
        if again is not None and again.current_for(store):
            return again
        del again
        built = LexicalIndex.build(store)
        if not store.readonly:
            built.save(directory)
        return built
