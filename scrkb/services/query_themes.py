"""Which themes of the coding frame a query names, in its own words or in other words.

"domestic abuse" names the theme by its words; "her partner hit her in front of the
children" names it by meaning. Search uses the answer twice: a hit tagged with a theme
the query names says so in "why this matched", and a search that finds nothing offers
those themes to browse instead.

Words: a theme is named when every content word of its name, or of one of its phrases
(``taxonomy.yaml``: "was not brought", "MARAC", "non-mobile"), occurs in the query, both
sides stemmed by the index's own porter stemmer. A one-word phrase counts only when the
word is uncommon in English (wordfreq's Zipf below ``COMMON_ZIPF``): "cannabis" names
substance misuse, "school" or "missing" name nothing on their own. Weak terms never count.
Meaning: the cosine between the query's embedding and each theme's name and definition,
embedded by the same MiniLM the search uses; the best theme counts when it reaches
``MEANING_FLOOR``, and so do others within ``MEANING_BAND`` of it. Set by hand on 22
probe queries (2026-12, bundled MiniLM): nonsense and everyday queries ("council tax",
"car parking", "xqzvbnmplk") scored at most 0.18 against any theme, paraphrases 0.42-0.78
against the right one ("her partner hit her in front of the children": Domestic abuse
0.42), while a wrong theme reached 0.40 once; ``tests/services/test_search.py`` keeps the
cases. The tagger itself would judge better, but costs 300 ms a query on a busy core.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from scrkb.index.search import STOPWORDS, query_terms
from scrkb.index.vocabulary import porter_stems
from scrkb.nlp.taxonomy import Taxonomy, default_taxonomy

MEANING_FLOOR = 0.42
MEANING_BAND = 0.05
COMMON_ZIPF = 4.5
MAX_THEMES = 3
# Words that occur in theme names but name no theme on their own ("missed", "child").
_GENERIC = frozenset(["child", "children", "missed", "quality", "concerns", "family", "and"])


@dataclass(frozen=True)
class ThemeMatch:
    id: str
    name: str
    by: str  # "words" or "meaning"
    score: float


def _uncommon(phrase: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(phrase, "en") < COMMON_ZIPF


def _content_stems(text: str) -> frozenset[str]:
    terms = [t for t in query_terms(text) if t not in STOPWORDS]
    return frozenset(porter_stems(terms).values())


class QueryThemes:
    """Themes named by a query. One per process: the theme centroids are built once."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        self._phrases: list[tuple[str, frozenset[str]]] = []
        for theme in self.taxonomy.themes:
            name_stems = _content_stems(
                " ".join(w for w in theme.name.split() if w.lower() not in _GENERIC)
            )
            if name_stems:
                self._phrases.append((theme.id, name_stems))
            for phrase in [*theme.phrases, *theme.typical_wording]:
                stems = _content_stems(phrase)
                if len(stems) > 1 or (stems and _uncommon(phrase)):
                    self._phrases.append((theme.id, stems))
        self._centroids: np.ndarray | None = None
        self._lock = threading.Lock()

    def by_words(self, text: str) -> dict[str, float]:
        """Theme id -> how many of the query's content stems its best phrase covers.

        A theme whose phrase is part of another theme's matched phrase gives way to it:
        "unseen men" names Unseen men, not also Unseen child.
        """
        stems = _content_stems(text)
        best: dict[str, frozenset[str]] = {}
        for theme_id, phrase in self._phrases:
            if phrase <= stems and len(phrase) > len(best.get(theme_id, ())):
                best[theme_id] = phrase
        return {
            theme_id: float(len(phrase))
            for theme_id, phrase in best.items()
            if not any(phrase < other for other in best.values())
        }

    def centroids(self, embedder) -> np.ndarray:  # noqa: ANN001 - nlp.embedding.Embedder
        """One normalised vector per theme (name and definition), in taxonomy order, built
        on first use: 35 short texts, encoded once per process."""
        if self._centroids is None:
            with self._lock:
                if self._centroids is None:
                    texts = [f"{t.name}: {t.definition}" for t in self.taxonomy.themes]
                    self._centroids = np.asarray(embedder.encode(texts), dtype=np.float32)
        return self._centroids

    def by_meaning(self, query_vector: np.ndarray, embedder) -> dict[str, float]:  # noqa: ANN001
        """Theme id -> cosine: the best theme if it reaches ``MEANING_FLOOR``, and the
        others within ``MEANING_BAND`` of it."""
        sims = self.centroids(embedder) @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        best = float(sims.max()) if sims.size else 0.0
        if best < MEANING_FLOOR:
            return {}
        ids = self.taxonomy.ids
        return {
            ids[i]: float(s)
            for i, s in enumerate(sims)
            if s >= MEANING_FLOOR and s >= best - MEANING_BAND
        }

    def match(
        self,
        text: str,
        *,
        query_vector: np.ndarray | None = None,
        embedder=None,  # noqa: ANN001
    ) -> list[ThemeMatch]:
        """The themes the query names, those named in words first, at most ``MAX_THEMES``."""
        if not text.strip():
            return []
        names = {t.id: t.name for t in self.taxonomy.themes}
        words = self.by_words(text)
        out = [
            ThemeMatch(i, names[i], "words", s)
            for i, s in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        if query_vector is not None and embedder is not None:
            meaning = self.by_meaning(query_vector, embedder)
            out += [
                ThemeMatch(i, names[i], "meaning", s)
                for i, s in sorted(meaning.items(), key=lambda kv: -kv[1])
                if i not in words
            ]
        return out[:MAX_THEMES]


_shared: QueryThemes | None = None


def query_themes() -> QueryThemes:
    """The process's one ``QueryThemes`` (the taxonomy is fixed per process)."""
    global _shared
    if _shared is None:
        _shared = QueryThemes()
    return _shared
