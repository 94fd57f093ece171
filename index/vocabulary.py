"""The corpus's vocabulary: which words the knowledge base contains, and the nearest
ones to a word it does not ("did you mean").

The FTS5 index already holds every stem with the number of passages containing it
(``fts5vocab``), so "does the corpus know this word" is one lookup, at any corpus size.
Stems are not words a person would type ("bruis"), so suggestions are English words
(wordfreq's list, already a dependency) within two edits of the unknown word, kept only
when their stem occurs in the corpus and ranked by how many passages contain it:
"neglekt" becomes "neglect" because the reviews say "neglect", and a word no review
uses is never suggested. Only words English rarely uses are corrected (``SPELT_ZIPF``):
a real word the reviews happen not to use is left as it is. Edit distance is rapidfuzz's
Levenshtein.
"""

from __future__ import annotations

import re
from functools import lru_cache

from scrkb.index.glossary import Glossary
from scrkb.index.lexical import STEMMER
from scrkb.index.store import Store

MAX_EDITS = 2
# A word this common in English is spelt as meant even when no passage uses it: "referred"
# in a corpus that only says "referral" is no typo for "referrer". Misspellings sit lower
# ("helth" 1.1, "neglekt" 0; wordfreq's Zipf scale).
SPELT_ZIPF = 2.0
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")  # letters only: codes and years are left alone
_VOCAB = "temp.passages_vocab"


def porter_stems(words: list[str]) -> dict[str, str]:
    """Each word's stem as the index holds it (FTS5's porter tokenizer, shared with the
    lexical arm; lower-cased; a word the tokenizer splits keeps its last part)."""
    stems = STEMMER.stems(words)
    return {w: stems.get(w, w).lower() for w in words}


@lru_cache(maxsize=1)
def _english_words() -> dict[int, list[str]]:
    """wordfreq's English list (most frequent first), letters only, by length."""
    from wordfreq import iter_wordlist

    by_length: dict[int, list[str]] = {}
    for word in iter_wordlist("en"):
        if word.isascii() and word.isalpha() and len(word) > 1:
            by_length.setdefault(len(word), []).append(word)
    return by_length


class Vocabulary:
    """What words the corpus holds (by stem), and spelling suggestions from them."""

    def __init__(self, store: Store, shorthand: Glossary | None = None) -> None:
        self.store = store
        self.shorthand = shorthand  # the query glossary, when search reads shorthand
        self.store.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB} "
            "USING fts5vocab(main, passages_fts, 'row')"
        )

    def passages_with(self, words: list[str]) -> dict[str, int]:
        """How many passages contain each word (any form of it: "bruised" counts "bruise")."""
        stems = porter_stems(words)
        wanted = sorted(set(stems.values()))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        found = {
            row[0]: int(row[1])
            for row in self.store.execute(
                f"SELECT term, doc FROM {_VOCAB} WHERE term IN ({marks})", wanted
            )
        }
        return {w: found.get(stems[w], 0) for w in words}

    def suggest_word(self, word: str) -> str | None:
        """The word the corpus most likely meant: fewest edits, then most passages."""
        from rapidfuzz import distance, process

        word = word.lower()
        if len(word) < 4:  # "dv", "gp", "mash": too short to correct with any confidence
            return None
        edits = 1 if len(word) < 6 else MAX_EDITS
        by_length = _english_words()
        choices = [
            w for n in range(len(word) - edits, len(word) + edits + 1) for w in by_length.get(n, [])
        ]
        near = process.extract(
            word, choices, scorer=distance.Levenshtein.distance, score_cutoff=edits, limit=40
        )
        near = [(w, d) for w, d, _ in near if w != word]
        if not near:
            return None
        counts = self.passages_with([w for w, _ in near])
        best = [(d, -counts[w], w) for w, d in near if counts[w] > 0]
        return min(best)[2] if best else None

    def correct(self, text: str) -> str | None:
        """``text`` with each word the corpus lacks (and English rarely uses) replaced by
        its suggestion, or None when there is nothing to correct."""
        words = [m.group(0) for m in _WORD.finditer(text)]
        if not words:
            return None
        counts = self.passages_with([w.lower() for w in words])
        fixes: dict[str, str] = {}
        from wordfreq import zipf_frequency

        for word in words:
            if (
                counts.get(word.lower()) == 0
                and not (self.shorthand is not None and self.shorthand.knows(word))
                and word.lower() not in fixes
                and zipf_frequency(word, "en") < SPELT_ZIPF
            ):
                suggestion = self.suggest_word(word)
                if suggestion:
                    fixes[word.lower()] = suggestion
        if not fixes:
            return None

        def fix(match: re.Match[str]) -> str:
            return fixes.get(match.group(0).lower(), match.group(0))

        return _WORD.sub(fix, text)
