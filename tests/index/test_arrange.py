"""Arranging ranked matches: the array path search takes gives the layout of the plain one."""

from __future__ import annotations

import random

import numpy as np
import pytest

from scrkb.index.arrange import arrange, arrange_by_date, arrange_leading, arrange_matches
from scrkb.index.search import Ranking, Searcher
from scrkb.index.store import Store
from scrkb.models import SearchQuery
from tests.factories import embed, embedding_form, make_passage, make_report, make_settings

# Fictional reports: some share a year, one states none.
YEARS = {"ra": 2019, "rb": 2022, "rc": None, "rd": 2019, "re": 2024}
TEXT = "The health visitor recorded the bruise and the referral was not made (fictional)."


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("arrange") / "scrkb.sqlite"
    with Store(path) as s:
        for report_id, year in YEARS.items():
            passages = [make_passage(report_id, i, f"{TEXT} {i}") for i in range(6)]
            s.replace_report(
                make_report(report_id, year=year),
                passages,
                embed([p.text for p in passages]),
                form=embedding_form(),
            )
    with Store(path) as s:
        yield s


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("view", ["passages", "reports"])
@pytest.mark.parametrize("per_report", [0, 1, 3])
def test_arrange_with_reports_known_matches_the_plain_path(store, sort, view, per_report):
    rows = store.execute("SELECT rowid, report_id FROM passages")
    rng = random.Random(f"{sort}{view}{per_report}")
    rng.shuffle(rows)
    ranked = [(int(r[0]), 1.0 - i / 100) for i, r in enumerate(rows)]
    reports = [r[1] for r in rows]
    # a passage whose report is gone (deleted meanwhile) drops out on both paths
    ranked.insert(3, (999_999, 0.5))
    reports.insert(3, "gone")
    plain = arrange(store, ranked, sort=sort, per_report=per_report, view=view)
    known = arrange(store, ranked, sort=sort, per_report=per_report, view=view, reports=reports)
    assert known.units == plain.units and known.matches == plain.matches
    assert known.unit_count == plain.unit_count
    for offset, k in [(0, 3), (2, 4), (len(plain.units) - 1, 10), (len(plain.units) + 5, 10)]:
        assert known.page(offset, k) == plain.page(offset, k)
    assert sum(plain.matches.values()) == len(rows) and "gone" not in known.matches
    shown = [hit for unit in known.units for hit in unit]
    if per_report:
        assert len(shown) == per_report * len(YEARS)
    if sort == "newest":
        of = dict(rows)
        years = [YEARS[of[rowid]] for rowid, _ in shown]
        dated = [y for y in years if y is not None]
        assert dated == sorted(dated, reverse=True) and years[-1] is None


@pytest.mark.parametrize("view", ["passages", "reports"])
@pytest.mark.parametrize("per_report", [0, 1, 2, 4])
def test_arrange_leading_gives_the_first_units_of_the_whole_arrangement(store, per_report, view):
    """By relevance, search orders only what a page needs; every page it can show, and
    every count, is that of ordering all."""
    names = [*sorted(YEARS), "no matches"]
    rng = np.random.default_rng(per_report + 10 * (view == "reports"))
    n = 3000  # far more than a first run of 64: the run must grow
    rowids = rng.permutation(n).astype(np.int64) + 1  # opaque to both paths
    # one report holds most matches, as one long report can; ties in the scores
    codes = rng.choice(5, size=n, p=[0.9, 0.04, 0.03, 0.02, 0.01]).astype(np.int64)
    scores = np.round(rng.random(n), 2)
    best_first = np.lexsort((np.arange(n), -scores))
    asked: list[int] = []

    def first(n: int) -> np.ndarray:
        asked.append(n)
        return best_first[:n]

    whole = arrange_matches(
        store,
        rowids[best_first],
        scores[best_first],
        codes[best_first],
        names,
        per_report=per_report,
        view=view,
    )
    for offset, k in [(0, 1), (0, 5), (3, 4), (whole.unit_count - 2, 10), (2990, 20)]:
        lead = arrange_leading(
            first, rowids, scores, codes, names, per_report=per_report, view=view, upto=offset + k
        )
        assert lead.page(offset, k) == whole.page(offset, k)
        assert lead.unit_count == whole.unit_count and lead.matches == whole.matches
    if not per_report and view == "passages":  # no limit: only the places asked for
        assert asked[:2] == [1, 5]
    if per_report == 1:  # the first reports' hits lie deep in the order: the run grew
        assert max(asked) > 64


def test_ranking_order_is_a_prefix_of_the_whole_order_with_ties_cut_by_position():
    rng = np.random.default_rng(7)
    n = 500
    fused = np.where(rng.random(n) < 0.1, rng.integers(1, 4, n) / 100, 0.0)  # ties in both
    tiebreak = rng.integers(0, 20, n) / 20.0
    ranking = Ranking(
        cand=np.arange(0, 2 * n, 2), fused=fused, tiebreak=tiebreak, arm_ranks={}, total=n
    )
    idx = np.arange(n)
    whole = idx[np.lexsort((idx, -tiebreak, -fused))]
    assert np.array_equal(ranking.order(), whole)
    for count in (0, 1, 10, 49, 50, 51, 137, 499, 500, 900):
        assert np.array_equal(ranking.order(count), whole[:count])
    assert np.array_equal(ranking.page(20, 30), ranking.cand[whole[20:30]])
    # a NaN tiebreak (a corrupt stored vector) goes last and is never lost from a page
    tiebreak[5:12] = np.nan
    whole = idx[np.lexsort((idx, -tiebreak, -fused))]  # lexsort puts NaN last
    for count in (14, 300, 500):
        assert np.array_equal(ranking.order(count), whole[:count])


class _OrderingAll(Searcher):
    """Search as it was: every match ordered, then arranged."""

    def _arrange(self, ranking, index, query):
        ordered = ranking.order()
        return arrange_matches(
            self.store,
            index.rowids[ranking.cand][ordered],
            ranking.fused[ordered],
            index.report_of[ranking.cand][ordered],
            index.report_ids,
            sort=query.sort,
            per_report=query.per_report,
            view=query.view,
        )


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("view", ["passages", "reports"])
@pytest.mark.parametrize("per_report", [0, 1, 2])
def test_search_shows_what_ordering_every_match_would(store, view, per_report, sort):
    """Through the searcher, with the real model and indexes: every hit, rank, count and
    score part is that of ordering all (30 matching passages in 5 reports)."""
    settings = make_settings(store.path.parent)
    fast, full = Searcher(settings), _OrderingAll(settings)
    totals = []
    for text in ("bruise referral", "health visitor recorded the bruise", "referral not made"):
        for mode in ("hybrid", "bm25", "dense"):
            for offset, k in [(0, 1), (0, 4), (3, 5), (9, 10), (60, 5)]:
                q = SearchQuery(
                    text=text, k=k, offset=offset, view=view, per_report=per_report, sort=sort
                )
                a, b = fast.search(q, mode=mode), full.search(q, mode=mode)
                assert (a.total, a.page_total, a.reports) == (b.total, b.page_total, b.reports)
                assert [h.model_dump() for h in a.hits] == [h.model_dump() for h in b.hits]
                totals.append(b.total)
    assert max(totals) == 30 and min(totals) > 0  # every query matched, some all


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("view", ["passages", "reports"])
@pytest.mark.parametrize("per_report", [0, 1, 3])
def test_arrange_by_date_orders_only_the_years_a_page_reaches(store, sort, view, per_report):
    """Two reports share 2019 and one states no year; a report deleted meanwhile drops
    out. Every page and count is that of ordering every match."""
    names = [*sorted(YEARS), "gone", "no matches"]
    rng = np.random.default_rng(per_report + 10 * (view == "reports") + 100 * (sort == "newest"))
    n = 3000
    rowids = rng.permutation(n).astype(np.int64) + 1
    codes = rng.choice(6, size=n, p=[0.5, 0.2, 0.1, 0.1, 0.05, 0.05]).astype(np.int64)
    scores = np.round(rng.random(n), 2)
    best_first = np.lexsort((np.arange(n), -scores))
    sorted_sets: list[int] = []

    def ordered(indices: np.ndarray) -> np.ndarray:
        sorted_sets.append(len(indices))
        return indices[np.lexsort((indices, -scores[indices]))]

    whole = arrange_matches(
        store,
        rowids[best_first],
        scores[best_first],
        codes[best_first],
        names,
        sort=sort,
        per_report=per_report,
        view=view,
    )
    assert "gone" not in whole.matches
    for offset, k in [(0, 1), (0, 5), (3, 4), (whole.unit_count - 2, 10), (2990, 20)]:
        sorted_sets.clear()
        dated = arrange_by_date(
            store,
            ordered,
            rowids,
            scores,
            codes,
            names,
            sort=sort,
            per_report=per_report,
            view=view,
            upto=offset + k,
        )
        assert dated.page(offset, k) == whole.page(offset, k)
        assert dated.unit_count == whole.unit_count and dated.matches == whole.matches
        if offset == 0 and k == 1:  # the first page orders one year's matches, not all
            assert len(sorted_sets) == 1 and sorted_sets[0] < n - int((codes == 5).sum())
