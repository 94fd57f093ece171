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
    stored, year = report_years(store, names, codes)
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
        order = order[_within_limit(hit_codes, limit)]
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
    ordered: Callable[[np.ndarray], np.ndarray],
    rowids: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    names: list[str],
    *,
    per_report: int | None = 0,
    view: ResultView = "passages",
    upto: int,
    kept: np.ndarray | None = None,
) -> ArrayArrangement:
    """The first ``upto`` units of ``arrange_matches(..., sort="relevance")`` without
    ordering every match.

    The matches are given in any order (``rowids``, ``scores`` and report ``codes`` into
    ``names``, index for index); ``first(n)`` returns the indices of the best ``n``, best
    first, and ``ordered(indices)`` puts any of them in that order. ``kept`` says which
    reports are still stored (None: all); the others' matches drop out, as in
    ``arrange_matches``. Counts (``matches``, ``unit_count``) need no order. A leading run
    of the best is taken, four times longer each time, until it holds the page: in the
    passages view ``upto`` hits among their report's first ``per_report``; in the reports
    view ``upto`` reports (a report's place is that of its best hit), whose hits are then
    gathered and ordered. A leading run orders these as the whole order does, so the units
    are the same."""
    limit = per_report or 0
    total = len(rowids)
    codes = codes.astype(np.int64, copy=False)
    kept = np.ones(len(names), dtype=bool) if kept is None else kept
    counts = np.bincount(codes, minlength=len(names))
    counts[~kept] = 0
    matches = {names[c]: int(counts[c]) for c in np.flatnonzero(counts).tolist()}
    if view == "reports":
        units = len(matches)
    else:
        units = int(np.minimum(counts, limit).sum()) if limit else int(counts.sum())
    want = max(0, min(upto, units))
    n = want if not limit and view == "passages" else min(total, max(4 * want, 64))
    while True:
        lead = first(n)
        lead = lead[kept[codes[lead]]]
        if view == "reports":
            chosen = _first_reports(codes[lead], want)
            enough = len(chosen) >= want
        else:
            if limit:
                lead = lead[_within_limit(codes[lead], limit)]
            enough = len(lead) >= want
        if enough or n >= total:
            break
        n = min(total, 4 * n)
    if view == "reports":
        wanted = np.zeros(len(names), dtype=bool)
        wanted[chosen] = True
        members = ordered(np.flatnonzero(wanted[codes]))
        lead, bounds = _report_units(members, codes[members], chosen, limit)
    else:
        lead = lead[:want]
        bounds = np.arange(len(lead) + 1)
    return ArrayArrangement(
        rowids=rowids[lead], scores=scores[lead], bounds=bounds, matches=matches, count=units
    )


def report_years(
    store: Store, names: list[str], codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``names`` (by code): whether it is still stored, and its year (NaN when
    it states none or is gone). Only the reports in ``codes`` (those with matches) are
    read, one row a report; the others count as gone."""
    present = np.unique(codes).tolist()
    years_of = _years(store, [names[c] for c in present])
    stored = np.zeros(len(names), dtype=bool)
    year = np.full(len(names), np.nan)
    for c in present:
        if names[c] in years_of:
            stored[c] = True
            if years_of[names[c]] is not None:
                year[c] = years_of[names[c]]
    return stored, year


def arrange_by_date(
    store: Store,
    ordered: Callable[[np.ndarray], np.ndarray],
    rowids: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    names: list[str],
    *,
    sort: SortOrder,
    per_report: int | None = 0,
    view: ResultView = "passages",
    upto: int,
) -> ArrayArrangement:
    """The first ``upto`` units of ``arrange_matches(..., sort="newest" | "oldest")``,
    ordering only the years the page reaches.

    The matches are given in any order, as for ``arrange_leading``; ``ordered(indices)``
    returns those indices best first. A year's matches come together in either order, and
    a report's hits all share its year, so each year's units (its hits among their
    report's first ``per_report``, or its reports) are counted without ordering; only the
    years up to the one holding unit ``upto`` are ordered. Only stored reports' years are
    read, one row a report, and a report deleted meanwhile drops out."""
    limit = per_report or 0
    codes = codes.astype(np.int64, copy=False)
    counts = np.bincount(codes, minlength=len(names))
    stored, year = report_years(store, names, codes)
    # a report's place among the years: newest or oldest first, undated last
    key = np.where(np.isnan(year), np.inf, -year if sort == "newest" else year)
    counts[~stored] = 0
    matches = {names[c]: int(counts[c]) for c in np.flatnonzero(counts).tolist()}
    reports = np.flatnonzero(counts)
    if view == "reports":
        report_units = np.ones(len(reports), dtype=np.int64)
    else:
        report_units = np.minimum(counts[reports], limit) if limit else counts[reports]
    years, year_of_report = np.unique(key[reports], return_inverse=True)  # undated last
    year_units = np.bincount(year_of_report, weights=report_units, minlength=len(years))
    units = int(report_units.sum())
    want = max(0, min(upto, units))
    reached = int(np.searchsorted(np.cumsum(year_units), want)) + 1 if want else 0
    year_of = np.full(len(names), len(years), dtype=np.int64)
    year_of[reports] = year_of_report
    match_year = year_of[codes]
    reaching = np.flatnonzero(match_year < reached)  # only these are ordered
    by_year = reaching[np.argsort(match_year[reaching], kind="stable")]
    starts = np.searchsorted(match_year[by_year], np.arange(reached + 1))
    leads: list[np.ndarray] = []
    bounds: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    laid = 0
    for y in range(min(reached, len(years))):
        members = ordered(by_year[starts[y] : starts[y + 1]])
        member_codes = codes[members]
        if view == "reports":
            chosen = _first_reports(member_codes, len(members))
            lead, year_bounds = _report_units(members, member_codes, chosen, limit)
        else:
            if limit:
                members = members[_within_limit(member_codes, limit)]
            lead, year_bounds = members, np.arange(len(members) + 1)
        leads.append(lead)
        bounds.append(year_bounds[1:] + laid)
        laid += len(lead)
    lead = np.concatenate(leads) if leads else np.zeros(0, dtype=np.int64)
    bound = np.concatenate(bounds)[: want + 1]
    lead = lead[: int(bound[-1])]
    return ArrayArrangement(
        rowids=rowids[lead], scores=scores[lead], bounds=bound, matches=matches, count=units
    )


def _first_reports(hit_codes: np.ndarray, want: int) -> np.ndarray:
    """The first ``want`` distinct reports of hits in order, in order of their first hit."""
    seen, first_at = np.unique(hit_codes, return_index=True)
    return seen[np.argsort(first_at, kind="stable")][:want]


def _report_units(
    hits: np.ndarray, hit_codes: np.ndarray, chosen: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reports-view units: of ``hits`` in order (holding every hit of the ``chosen``
    reports), each chosen report's first ``limit`` (all without a limit), grouped report by
    report in the order of ``chosen``; with where each unit starts."""
    size = int(max(hit_codes.max(initial=0), chosen.max(initial=0))) + 1
    place = np.full(size, len(chosen), dtype=np.int64)  # a report's unit; len: not chosen
    place[chosen] = np.arange(len(chosen))
    keep = place[hit_codes] < len(chosen)
    hits, hit_codes = hits[keep], hit_codes[keep]
    if limit:
        kept = _within_limit(hit_codes, limit)
        hits, hit_codes = hits[kept], hit_codes[kept]
    grouped = np.argsort(place[hit_codes], kind="stable")  # by report, best first within
    hits, hit_codes = hits[grouped], hit_codes[grouped]
    change = np.flatnonzero(hit_codes[1:] != hit_codes[:-1]) + 1
    bounds = np.concatenate(([0], change, [len(hits)])) if len(hits) else np.zeros(1, np.int64)
    return hits, bounds.astype(np.int64)


def _within_limit(hit_codes: np.ndarray, limit: int) -> np.ndarray:
    """Which hits (in order, given by report code) are among their report's first
    ``limit``: each hit's place among its report's hits so far (0, 1, 2 ...) is below it."""
    by_report = np.argsort(hit_codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(np.bincount(hit_codes))))[hit_codes[by_report]]
    place = np.empty(len(hit_codes), dtype=np.int64)
    place[by_report] = np.arange(len(hit_codes)) - starts
    return place < limit


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
