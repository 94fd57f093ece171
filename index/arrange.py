"""Arrange ranked matches for reading: newest or oldest first, a few per report, or
report by report.

Ranking decides *what* matches; this decides how the matches are laid out on pages. Six
of the top ten passages can come from one long report, so each report shows at most
``per_report`` hits (the rest stay one link away), and the reports view pages over
reports rather than passages. Nothing here drops a match from ``total``: the arrangement
only orders and folds the list that ranking produced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scrkb.index.store import Store
from scrkb.models import ResultView, SortOrder

Scored = tuple[int, float]  # passage rowid, fused score

_CHUNK = 900  # below SQLite's default limit of bound parameters, whatever the build


@dataclass(frozen=True)
class Arrangement:
    """The matches as pages show them.

    ``units`` is what ``k`` and ``offset`` page over: one hit each in the passages view,
    one report's hits each in the reports view. ``matches`` counts every match of each
    report, shown or folded away.
    """

    units: list[list[Scored]]
    matches: dict[str, int]

    @property
    def reports(self) -> int:
        return len(self.matches)

    @property
    def unit_count(self) -> int:
        return len(self.units)

    def page(self, offset: int, k: int) -> tuple[list[Scored], int]:
        """The page's hits in order, and the rank (1-based, across pages) of the first."""
        before = sum(len(unit) for unit in self.units[:offset])
        return [hit for unit in self.units[offset : offset + k] for hit in unit], before + 1


@dataclass(frozen=True, eq=False)  # arrays: compared by what they hold, not ==
class ArrayArrangement:
    """An ``Arrangement`` kept as arrays: the hits in page order, and where each unit
    starts. Only the page asked for becomes Python objects: a common query at national
    scale matches tens of thousands of passages, and building a list for each cost more
    than all the rest of the search."""

    rowids: np.ndarray
    scores: np.ndarray
    bounds: np.ndarray  # unit i is hits bounds[i]:bounds[i + 1]
    matches: dict[str, int]
    # Units in all, where only the leading ones are laid out (``arrange_leading``).
    count: int | None = None

    @property
    def reports(self) -> int:
        return len(self.matches)

    @property
    def unit_count(self) -> int:
        return len(self.bounds) - 1 if self.count is None else self.count

    @property
    def units(self) -> list[list[Scored]]:
        """Every unit as lists (what ``Arrangement`` holds): for tests and small results."""
        return [self._hits(a, b) for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True)]

    def page(self, offset: int, k: int) -> tuple[list[Scored], int]:
        """The page's hits in order, and the rank (1-based, across pages) of the first."""
        n = len(self.bounds) - 1
        start = int(self.bounds[min(offset, n)])
        end = int(self.bounds[min(offset + k, n)])
        return self._hits(start, end), start + 1

    def _hits(self, start: int, end: int) -> list[Scored]:
        rowids = self.rowids[start:end].tolist()
        return list(zip(rowids, self.scores[start:end].tolist(), strict=True))


def arrange(
    store: Store,
    ranked: list[Scored],
    *,
    sort: SortOrder = "relevance",
    per_report: int | None = 0,
    view: ResultView = "passages",
    reports: list[str] | None = None,
) -> Arrangement | ArrayArrangement:
    """Order ``ranked`` (best first) by ``sort``, keep ``per_report`` hits per report
    (0 or None: all) and cut it into the units pages are made of.

    ``reports``: each ranked passage's report id, where the caller knows them (search
    does, from its in-memory index): then only the reports' years are read, one row a
    report, instead of one row for each of what can be 100,000 matching passages.

    Sorting by date is stable, so within a year, and within a report, the ranking's
    order stands; reports without a year come last either way.
    """
    if reports is not None:
        codes_of: dict[str, int] = {}
        codes = np.asarray([codes_of.setdefault(r, len(codes_of)) for r in reports], dtype=np.int64)
        return arrange_matches(
            store,
            np.asarray([rowid for rowid, _ in ranked], dtype=np.int64),
            np.asarray([score for _, score in ranked], dtype=np.float64),
            codes,
            list(codes_of),
            sort=sort,
            per_report=per_report,
            view=view,
        )
    info = _report_years(store, [rowid for rowid, _ in ranked])
    order = [hit for hit in ranked if hit[0] in info]  # a passage deleted meanwhile drops out
    if sort != "relevance":
        newest = sort == "newest"

        def by_year(hit: Scored) -> tuple[int, int]:
            year = info[hit[0]][1]
            if year is None:
                return (1, 0)
            return (0, -year if newest else year)

        order.sort(key=by_year)
    report_of = {rowid: info[rowid][0] for rowid, _ in order}
    matches = Counter(report_of[rowid] for rowid, _ in order)
    limit = per_report or 0
    if view == "reports":
        groups: dict[str, list[Scored]] = {}
        for hit in order:
            group = groups.setdefault(report_of[hit[0]], [])
            if not limit or len(group) < limit:
                group.append(hit)
        units = list(groups.values())
    else:
        shown: Counter[str] = Counter()
        units = []
        for hit in order:
            report_id = report_of[hit[0]]
            shown[report_id] += 1
            if not limit or shown[report_id] <= limit:
                units.append([hit])
    return Arrangement(units=units, matches=dict(matches))


def arrange_matches(
    store: Store,
    rowids: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    names: list[str],
    *,
    sort: SortOrder = "relevance",
    per_report: int | None = 0,
    view: ResultView = "passages",
) -> ArrayArrangement:
    """``arrange`` for matches given as arrays, best first: ``rowids``, their ``scores``,
    and each one's report as a ``codes`` index into ``names`` (search's in-memory index
    holds exactly these). A common query at national scale matches tens of thousands of
    passages: only the reports' years are read, one row a report, and only the hits kept
    for the pages become Python objects."""
    limit = per_report or 0
    present = np.unique(codes)
    years_of = _years(store, [names[c] for c in present.tolist()])
    stored = np.zeros(len(names) + 1, dtype=bool)
    year = np.full(len(names) + 1, np.nan)
    for c in present.tolist():
        if names[c] in years_of:
            stored[c] = True
            if years_of[names[c]] is not None:
                year[c] = years_of[names[c]]
    order = np.flatnonzero(stored[codes])  # a report deleted meanwhile drops out
    if sort != "relevance" and len(order):
        y = year[codes[order]]
        undated = np.isnan(y)
        key = np.where(undated, 0.0, -y if sort == "newest" else y)
        order = order[np.lexsort((key, undated))]  # stable: the ranking decides ties
    hit_codes = codes[order].astype(np.int64)
    counts = np.bincount(hit_codes, minlength=len(names))
    matches = {names[c]: int(counts[c]) for c in np.flatnonzero(counts).tolist()}
    if limit:
        order = order[_place_in_report(hit_codes, counts) < limit]
    if view == "reports":  # each report's hits together, reports in order of their best
        first = np.full(len(names) + 1, len(order), dtype=np.int64)
        np.minimum.at(first, codes[order], np.arange(len(order)))
        order = order[np.argsort(first[codes[order]], kind="stable")]
        grouped = codes[order]
        change = np.flatnonzero(grouped[1:] != grouped[:-1]) + 1 if len(order) else order[:0]
        bounds = np.concatenate(([0], change, [len(order)])) if len(order) else np.zeros(1, int)
    else:
        bounds = np.arange(len(order) + 1)
    return ArrayArrangement(
        rowids=rowids[order], scores=scores[order], bounds=bounds, matches=matches
    )


def arrange_leading(
    first: Callable[[int], np.ndarray],
    rowids: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    names: list[str],
    *,
    per_report: int | None = 0,
    upto: int,
) -> ArrayArrangement:
    """The first ``upto`` units of ``arrange_matches(..., sort="relevance",
    view="passages")`` without ordering every match.

    The matches are given in any order (``rowids``, ``scores`` and report ``codes`` into
    ``names``, index for index); ``first(n)`` returns the indices of the best ``n``, best
    first. Counts (``matches``, ``unit_count``) are over every match and need no order.
    With a limit per report, a longer run of the best is taken until it holds ``upto``
    units (each report's first ``per_report``), four times longer each time: the places
    within a report are the same in a leading run as in the whole order."""
    limit = per_report or 0
    total = len(rowids)
    counts = np.bincount(codes.astype(np.int64), minlength=len(names))
    matches = {names[c]: int(counts[c]) for c in np.flatnonzero(counts).tolist()}
    units = int(np.minimum(counts, limit).sum()) if limit else total
    want = max(0, min(upto, units))
    n = want if not limit else min(total, max(2 * want, 64))
    while True:
        lead = first(n)
        if limit:
            hit_codes = codes[lead].astype(np.int64)
            lead = lead[_place_in_report(hit_codes, np.bincount(hit_codes)) < limit]
        if len(lead) >= want or n >= total:
            break
        n = min(total, 4 * n)
    lead = lead[:want]
    return ArrayArrangement(
        rowids=rowids[lead],
        scores=scores[lead],
        bounds=np.arange(len(lead) + 1),
        matches=matches,
        count=units,
    )


def _place_in_report(hit_codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each hit's place among its report's hits so far (0, 1, 2 ...), hits in order;
    ``counts`` is ``np.bincount(hit_codes)`` (any length that covers the codes)."""
    by_report = np.argsort(hit_codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)))[hit_codes[by_report]]
    seen = np.empty(len(hit_codes), dtype=np.int64)
    seen[by_report] = np.arange(len(hit_codes)) - starts
    return seen


def _report_years(store: Store, rowids: list[int]) -> dict[int, tuple[str, int | None]]:
    """Each passage's report id and the report's year, in a few queries."""
    out: dict[int, tuple[str, int | None]] = {}
    for start in range(0, len(rowids), _CHUNK):
        chunk = rowids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in store.execute(
            f"SELECT p.rowid, p.report_id, r.year FROM passages p "
            f"JOIN reports r ON r.id = p.report_id WHERE p.rowid IN ({marks})",
            chunk,
        ):
            out[int(row[0])] = (row[1], row[2])
    return out


def _years(store: Store, report_ids: list[str]) -> dict[str, int | None]:
    """Each (still stored) report's year."""
    out: dict[str, int | None] = {}
    for start in range(0, len(report_ids), _CHUNK):
        chunk = report_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in store.execute(f"SELECT id, year FROM reports WHERE id IN ({marks})", chunk):
            out[row[0]] = row[1]
    return out
