"""Arranging ranked matches: the array path search takes gives the layout of the plain one."""

from __future__ import annotations

import random

import pytest

from scrkb.index.arrange import arrange
from scrkb.index.store import Store
from tests.factories import embed, embedding_form, make_passage, make_report

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
