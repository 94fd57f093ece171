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
from dataclasses import dataclass

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
    report_of: dict[int, str]

    @property
    def reports(self) -> int:
        return len(self.matches)

    def page(self, offset: int, k: int) -> tuple[list[Scored], int]:
        """The page's hits in order, and the rank (1-based, across pages) of the first."""
        before = sum(len(unit) for unit in self.units[:offset])
        return [hit for unit in self.units[offset : offset + k] for hit in unit], before + 1


def arrange(
    store: Store,
    ranked: list[Scored],
    *,
    sort: SortOrder = "relevance",
    per_report: int | None = 0,
    view: ResultView = "passages",
) -> Arrangement:
    """Order ``ranked`` (best first) by ``sort``, keep ``per_report`` hits per report
    (0 or None: all) and cut it into the units pages are made of.

    Sorting by date is stable, so within a year, and within a report, the ranking's
    order stands; reports without a year come last either way.
    """
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
    return Arrangement(units=units, matches=dict(matches), report_of=report_of)


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
