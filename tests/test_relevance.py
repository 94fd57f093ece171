"""Thematic queries phrased in words that do not occur in the passage they should find,
and the independent writers' queries: search beats each of its arms on every writer.

The team's queries and expected quotes were written with the sample corpus
(``samples/queries/*.yaml``); ``paraphrase: true`` marks queries that share no content word
with their target paragraph, so only the meaning can connect them. The writers' graded
sets are ``samples/queries/writers/``.
"""

from __future__ import annotations

import dataclasses

import pytest

import bench.retrieval_quality as quality
from bench.retrieval_quality import (
    PARAPHRASE_TOP5,
    by_writer,
    load_judged,
    load_queries,
    paraphrase_misses,
    prepare,
    rank_of,
    score,
    tune,
    variants,
)
from scrkb.index.search import Searcher
from scrkb.models import SearchQuery

pytestmark = pytest.mark.slow

QUERIES = {q["query"]: q for q in load_queries()}


@pytest.fixture(scope="module")
def searcher(sample_home):
    return Searcher(sample_home)


def test_relevance_query_set_is_large_and_mostly_paraphrase():
    paraphrase = [q for q in QUERIES.values() if q.get("paraphrase")]
    assert len(QUERIES) >= 60
    assert len(paraphrase) >= 40


def _content_words(text: str) -> set[str]:
    from scrkb.index.search import query_terms

    return {w[:5] for w in query_terms(text)}


@pytest.mark.parametrize("query", PARAPHRASE_TOP5)
def test_relevance_paraphrase_query_finds_its_passage_in_top5(searcher, query):
    spec = QUERIES[query]
    assert spec["paraphrase"] is True
    hits = searcher.search(SearchQuery(text=query, k=5)).hits
    rank = rank_of(hits, spec["expect"])
    assert rank is not None, [h.text[:80] for h in hits]
    target = next(h for h in hits if spec["expect"] in h.text.replace("’", "'"))
    shared = _content_words(query) & {w[:5] for w in target.text.lower().split()}
    assert not shared, f"query shares {shared} with its passage: not a paraphrase"


def test_relevance_search_beats_each_arm_for_every_writer(searcher):
    """Search beats each arm for each independent writer. The team's queries are mostly
    strict paraphrases that share no word with their passage (BM25 finds none of them), so
    there fusion can only dilute the dense arm: search must stay within 0.03 of it."""
    systems = variants(searcher)
    found = {}
    for writer, queries in by_writer(prepare(searcher, load_judged())).items():
        found[writer] = {
            name: score(searcher, queries, *systems[name])["ndcg@10"]
            for name in ("bm25", "dense", "scrkb")
        }
    for writer, scores in found.items():
        if writer == "team":
            assert scores["scrkb"] > scores["bm25"], found
            assert scores["scrkb"] >= scores["dense"] - 0.03, found
        else:
            assert scores["scrkb"] > max(scores["bm25"], scores["dense"]), found


# Off-domain queries of the writers added on 6 December whose nearest passage lies above
# the cosine floor set on the earlier writers ("feeding", "the council"; docs/search.md,
# "Query glossary"): a known weakness, so a fix shows here as an unexpected pass.
OFF_DOMAIN_WITH_HITS = {"qd-059", "qe-051"}


def _unanswerable(*kinds: str) -> list:
    from bench.retrieval_quality import UNANSWERABLE

    return [
        pytest.param(qid, marks=pytest.mark.xfail(strict=True, reason="known: above the floor"))
        if qid in OFF_DOMAIN_WITH_HITS
        else qid
        for kind in kinds
        for qid in sorted(UNANSWERABLE[kind])
    ]


@pytest.fixture(scope="module")
def judged_queries() -> dict[str, str]:
    return {q["id"]: q["query"] for q in load_judged()}


@pytest.mark.parametrize("qid", _unanswerable("nonsense", "off_domain"))
def test_relevance_unanswerable_nonsense_and_off_domain_queries_return_nothing(
    searcher, judged_queries, qid
):
    query = judged_queries[qid]
    results = searcher.search(SearchQuery(text=query, k=10))
    assert results.total == 0 and not results.hits, (qid, query)


def test_tuning_with_keep_paraphrase_admits_only_fusions_that_keep_them(searcher, monkeypatch):
    """``--keep-paraphrase`` tuning never chooses a fusion that loses one of the team's
    paraphrase queries: without the coverage weight, partial BM25 matches of everyday
    words crowd them out, so on a grid of coverage 0 and 2 only the second is admitted."""
    monkeypatch.setattr(
        quality,
        "GRID",
        {
            "bm25_weight": [1.0],
            "theme_weight": [0.25],
            "depth": [100],
            "coverage_power": [0.0, 2.0],
            "theme_min_similarity": [0.45],
        },
    )
    out = tune(searcher, prepare(searcher, load_judged()), only=["qa", "qb"], keep_paraphrase=True)
    assert set(out["folds"]) == {"qa", "qb"}
    assert out["grid_points"] == 2 and out["admitted"] == 1
    for fold in out["folds"].values():
        chosen = dataclasses.replace(searcher.fusion, **fold["chosen"])
        assert paraphrase_misses(searcher, chosen) == 0
        assert 0.0 < fold["held_out_ndcg@10"] <= 1.0
