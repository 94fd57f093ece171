"""Arranging ranked matches: the array path search takes gives the layout of the plain one."""

from __future__ import annotations

import random

import numpy as np
import pytest

from scrkb.index.arrange import (
    arrange,
    arrange_by_date,
    arrange_leading,
    arrange_matches,
    report_years,
)
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


# Report codes of the generated matches: the five stored reports, one deleted meanwhile
# ("gone", still in the index), and one with no matches.
NAMES = [*sorted(YEARS), "gone", "no matches"]
PAGES = [(0, 1), (0, 5), (3, 4), (40, 10), (2990, 20)]


def _matches(seed: int, n: int = 3000):
    """``n`` generated matches in no particular order, most in one report (as one long
    report can hold), scores with ties; and the whole order, best first."""
    rng = np.random.default_rng(seed)
    rowids = rng.permutation(n).astype(np.int64) + 1  # opaque to every path
    codes = rng.choice(6, size=n, p=[0.8, 0.06, 0.05, 0.04, 0.02, 0.03]).astype(np.int64)
    scores = np.round(rng.random(n), 2)
    return rowids, codes, scores, np.lexsort((np.arange(n), -scores))


def _whole(store, rowids, codes, scores, best_first, **layout):
    """The arrangement of every match, ordered: what search did before."""
    return arrange_matches(
        store, rowids[best_first], scores[best_first], codes[best_first], NAMES, **layout
    )


@pytest.mark.parametrize("view", ["passages", "reports"])
@pytest.mark.parametrize("per_report", [0, 1, 2, 4])
def test_arrange_leading_gives_the_first_units_of_the_whole_arrangement(store, per_report, view):
    """By relevance, search orders only what a page needs; every page it can show, and
    every count, is that of ordering all, and a report deleted meanwhile drops out."""
    rowids, codes, scores, best_first = _matches(per_report + 10 * (view == "reports"))
    asked: list[int] = []

    def first(n: int) -> np.ndarray:
        asked.append(n)
        return best_first[:n]

    def ordered(indices: np.ndarray) -> np.ndarray:
        return indices[np.lexsort((indices, -scores[indices]))]

    whole = _whole(store, rowids, codes, scores, best_first, per_report=per_report, view=view)
    kept, _ = report_years(store, NAMES, codes)
    assert kept.tolist() == [True] * 5 + [False, False] and "gone" not in whole.matches
    for offset, k in [*PAGES, (whole.unit_count - 2, 10)]:
        lead = arrange_leading(
            first,
            ordered,
            rowids,
            scores,
            codes,
            NAMES,
            per_report=per_report,
            view=view,
            upto=offset + k,
            kept=kept,
        )
        assert lead.page(offset, k) == whole.page(offset, k)
        assert lead.unit_count == whole.unit_count and lead.matches == whole.matches
    if per_report == 1 and view == "passages":  # the reports' first hits lie deep: it grew
        assert max(asked) > 64
    if view == "reports":  # the page's reports are among the first matches: no full order
        assert max(asked) < len(rowids)


@pytest.mark.parametrize("view", ["passages", "reports"])
def test_no_matches_arrange_to_no_units(store, view):
    empty = np.zeros(0, dtype=np.int64)
    for arranged in (
        arrange_leading(
            lambda n: empty[:n], lambda i: i, empty, empty * 1.0, empty, NAMES, view=view, upto=10
        ),
        arrange_by_date(
            store, lambda i: i, empty, empty * 1.0, empty, NAMES, sort="newest", view=view, upto=10
        ),
    ):
        assert arranged.page(0, 10) == ([], 1)
        assert (arranged.unit_count, arranged.reports, arranged.matches) == (0, 0, {})


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


def test_ranking_ordered_puts_any_matches_in_the_order_of_order():
    """Date sorting and the reports view order subsets with ``ordered``: it must agree
    with ``order`` everywhere, NaN scores (a corrupt vector) and unranked matches too."""
    rng = np.random.default_rng(3)
    n = 400
    fused = np.where(rng.random(n) < 0.2, rng.integers(1, 4, n) / 100, 0.0)
    fused[rng.choice(n, 5, replace=False)] = np.nan
    tiebreak = rng.integers(0, 10, n) / 10.0
    tiebreak[rng.choice(n, 20, replace=False)] = np.nan
    tiebreak[rng.choice(n, 5, replace=False)] = -np.inf
    ranking = Ranking(cand=np.arange(n), fused=fused, tiebreak=tiebreak, arm_ranks={}, total=n)
    whole = ranking.order()
    assert sorted(whole.tolist()) == list(range(n))  # nothing lost
    for subset in (np.arange(n), rng.choice(n, 50, replace=False), np.zeros(0, np.int64)):
        expected = whole[np.isin(whole, subset)]
        assert np.array_equal(ranking.ordered(np.sort(subset)), expected)


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
    seed = per_report + 10 * (view == "reports") + 100 * (sort == "newest")
    rowids, codes, scores, best_first = _matches(seed)
    sorted_sets: list[int] = []

    def ordered(indices: np.ndarray) -> np.ndarray:
        sorted_sets.append(len(indices))
        return indices[np.lexsort((indices, -scores[indices]))]

    layout = {"sort": sort, "per_report": per_report, "view": view}
    whole = _whole(store, rowids, codes, scores, best_first, **layout)
    assert "gone" not in whole.matches
    for offset, k in [*PAGES, (whole.unit_count - 2, 10)]:
        sorted_sets.clear()
        dated = arrange_by_date(
            store, ordered, rowids, scores, codes, NAMES, upto=offset + k, **layout
        )
        assert dated.page(offset, k) == whole.page(offset, k)
        assert dated.unit_count == whole.unit_count and dated.matches == whole.matches
        if offset == 0 and k == 1:  # the first page orders one year's matches, not all
            assert len(sorted_sets) == 1 and sorted_sets[0] < int((codes != 5).sum())


@pytest.mark.parametrize("view", ["passages", "reports"])
def test_a_report_deleted_between_ranking_and_arranging_drops_out(tmp_path, view):
    """The narrow race: a job deletes a report after a query's arms were scored. Its
    matches must not be counted or shown, as when every match was ordered."""
    settings = make_settings(tmp_path)
    with Store(settings.db_path) as s:
        for report_id in ("ra", "rb", "rc"):
            passages = [make_passage(report_id, i, f"{TEXT} {i}") for i in range(4)]
            s.replace_report(
                make_report(report_id, year=2020),
                passages,
                embed([p.text for p in passages]),
                form=embedding_form(),
            )
    searcher = Searcher(settings)
    arms = searcher.arms("bruise referral")
    searcher.store.delete_report("rb")
    ranking = searcher.rank(arms, searcher.fusion)
    assert ranking.total == 12  # scored before the delete
    query = SearchQuery(text="bruise referral", k=10, view=view)
    arranged = searcher._arrange(ranking, arms.index, query)
    assert arranged.matches == {"ra": 4, "rc": 4}
    assert arranged.unit_count == (2 if view == "reports" else 8)
    hits, _ = arranged.page(0, 10)
    shown = [rowid for rowid, _ in hits]
    stored = {r[0] for r in searcher.store.execute("SELECT rowid FROM passages")}
    assert len(shown) == 8 and set(shown) <= stored
