"""spaCy's attribute ruler, answered from a cache for its one-token patterns.

The small English model's ``attribute_ruler`` maps each token's fine tag (and a few
words) to its POS, morphology and some lemmas through 179 token patterns, and spaCy's
``Matcher`` tries all of them at every token: a third of the tagger's spaCy time once
tok2vec was fast. Nearly all of those patterns test a single token on a few of its own
attributes (tag, lower-case form, dependency label, whether it is space), so which of
them match a token depends on those attributes alone. ``cache_attribute_ruler`` keeps
the ruler but replaces how it finds its matches: one-token patterns are looked up per
distinct combination of those attributes (the ruler's own ``Matcher`` answers each new
combination once, on that token), patterns of several tokens still run through a
``Matcher`` over the whole text, and the matches are handed to the ruler's own
``set_annotations`` in the order it sorts them itself. The attributes it sets are
therefore the same as the ruler's own (checked token by token on the labelled passages in
``tests/nlp/test_attribute_cache.py``).
"""

from __future__ import annotations

from typing import Any

from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

# The token attributes a one-token pattern may test for its match to be cached on them.
CACHE_KEYS = {"TAG": TAG, "LOWER": LOWER, "DEP": DEP, "IS_SPACE": IS_SPACE}
CACHE_LIMIT = 200_000  # distinct (tag, word, …) combinations kept before starting afresh


class CachedAttributeMatches:
    """Drop-in for ``AttributeRuler.match``: the same sorted matches, found faster."""

    def __init__(self, ruler: AttributeRuler) -> None:
        vocab = ruler.vocab
        self._single = Matcher(vocab)
        self._multi = Matcher(vocab)
        attrs: set[str] = set()
        has_multi = False
        for number, entry in enumerate(ruler.patterns):
            key = str(number)  # the ruler names its n-th pattern "n"
            patterns = entry["patterns"]
            if all(_is_one_token(p) for p in patterns):
                self._single.add(key, patterns)
                attrs.update(name for p in patterns for name in p[0])
            else:
                self._multi.add(key, patterns)
                has_multi = True
        self._has_multi = has_multi
        self._attr_ids = [CACHE_KEYS[name] for name in sorted(attrs)]
        self._match_ids = {
            number: vocab.strings.add(str(number)) for number in range(len(ruler.patterns))
        }
        self._cache: dict[tuple[int, ...], tuple[int, ...]] = {}

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        matches: list[tuple[int, int, int, int]] = []
        if len(doc):
            keys = doc.to_array(self._attr_ids).tolist() if self._attr_ids else [[]] * len(doc)
            cache = self._cache
            for i, key in enumerate(map(tuple, keys)):
                numbers = cache.get(key)
                if numbers is None:
                    numbers = self._one_token(doc, i)
                    if len(cache) >= CACHE_LIMIT:
                        cache.clear()
                    cache[key] = numbers
                for number in numbers:
                    matches.append((number, self._match_ids[number], i, i + 1))
        if self._has_multi:
            strings = doc.vocab.strings
            for match_id, start, end in self._multi(doc, allow_missing=True):
                matches.append((int(strings[match_id]), match_id, start, end))
        matches.sort()  # by pattern number, as the ruler sorts: later patterns win
        return matches

    def _one_token(self, doc: Doc, i: int) -> tuple[int, ...]:
        spans = self._single(doc[i : i + 1], allow_missing=True, as_spans=True)
        return tuple(sorted(int(span.label_) for span in spans))


def _is_one_token(pattern: list[dict[str, Any]]) -> bool:
    return len(pattern) == 1 and "OP" not in pattern[0] and set(pattern[0]) <= set(CACHE_KEYS)


def cache_attribute_ruler(nlp: Any) -> None:  # noqa: ANN401 - spacy.Language
    """Make ``nlp``'s attribute ruler (if it has one) find its matches through the cache."""
    if "attribute_ruler" not in nlp.pipe_names:
        return
    ruler = nlp.get_pipe("attribute_ruler")
    ruler.match = CachedAttributeMatches(ruler)
