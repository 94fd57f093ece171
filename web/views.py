"""What the pages show beyond the models: the search form, the filter panel, the trend
chart's geometry and the report's metadata rows. Templates render the models of
``scrkb.models`` directly; these helpers only arrange them for display.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from fastapi import Request

from scrkb.models import FACET_UNITS, ReportDetail, SearchFilters, TrendPoint
from scrkb.reference import AGE_BAND_LABELS, AGE_BANDS, NATIONS, REVIEW_TYPES, review_type_label
from scrkb.web.render import query_string

PER_PAGE = 10
REPORTS_PER_PAGE = 5  # the reports view: each report shows up to SCRKB_HITS_PER_REPORT hits
SORTS = {"relevance": "Relevance", "newest": "Newest report first", "oldest": "Oldest report first"}
VIEWS = {"passages": "Passages", "reports": "Passages grouped by report"}
_REPORT_ID = re.compile(r"[A-Za-z0-9_.-]{1,80}")
YEAR_MIN, YEAR_MAX = 1970, 2100
_YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: "²" and "٢٠١٥" are digits to isdigit()
_PAGE = re.compile(r"[0-9]{1,4}")


# --------------------------------------------------------------------------- search form
def _ints(values: list[str]) -> list[str]:
    return [v for v in values if v]


class MultiValues(Protocol):
    """A form or query string: every value of a name (``QueryParams``, ``FormData``)."""

    def getlist(self, key: str) -> list[str]: ...


def parse_filter_fields(values: MultiValues) -> dict[str, Any]:
    """The filter panel's fields (``filter_fields.html``), checked: values not known are
    dropped, a year that is not one is an error keyed by its field. Shared by the search
    page, the reports list and the precedent finder."""

    def last(name: str) -> str:
        got = values.getlist(name)
        return (got[-1] if got else "").strip()

    errors: dict[str, str] = {}
    years: dict[str, int | None] = {}
    raw_years = {"from": last("from"), "to": last("to")}
    for key, raw in raw_years.items():
        years[key] = None
        if raw:
            if _YEAR.fullmatch(raw) and YEAR_MIN <= int(raw) <= YEAR_MAX:
                years[key] = int(raw)
            else:
                label = "From" if key == "from" else "To"
                errors[key] = f"{label} year must be a year, like 2015"
    if years["from"] and years["to"] and years["from"] > years["to"]:
        errors["to"] = "To year must be the same as or after the from year"
    return {
        "themes": _ints(values.getlist("theme")),
        "types": [t for t in values.getlist("type") if t in REVIEW_TYPES],
        "nations": [n for n in values.getlist("nation") if n in NATIONS],
        "ages": [a for a in values.getlist("age") if a in AGE_BANDS],
        "raw_years": raw_years,
        "years": years,
        "errors": errors,
    }


def parse_search(request: Request) -> dict[str, Any]:
    """The search URL's parameters, checked; errors are keyed by field for the error summary."""
    qp = request.query_params
    fields = parse_filter_fields(qp)
    errors: dict[str, str] = fields["errors"]
    q = (qp.get("q") or "").strip()
    themes, types, nations, ages = (fields[k] for k in ("themes", "types", "nations", "ages"))
    years: dict[str, int | None] = fields["years"]
    raw_years = fields["raw_years"]
    sort = qp.get("sort") if qp.get("sort") in SORTS else "relevance"
    view = qp.get("view") if qp.get("view") in VIEWS else "passages"
    report = (qp.get("report") or "").strip()
    report = report if _REPORT_ID.fullmatch(report) else ""
    raw_per_report = (qp.get("per_report") or "").strip()
    per_report = int(raw_per_report) if _PAGE.fullmatch(raw_per_report) else None
    per_report = min(per_report, 100) if per_report is not None else None
    raw_page = (qp.get("page") or "").strip()
    page = max(1, min(int(raw_page), 100)) if _PAGE.fullmatch(raw_page) else 1
    params: list[tuple[str, str]] = []
    if q:
        params.append(("q", q))
    params += [("theme", t) for t in themes] + [("type", t) for t in types]
    params += [("nation", n) for n in nations] + [("age", a) for a in ages]
    params += [(k, v) for k, v in raw_years.items() if v]
    params += [("report", report)] if report else []
    params += [("sort", sort)] if sort != "relevance" else []
    params += [("view", view)] if view != "passages" else []
    params += [("per_report", str(per_report))] if per_report is not None else []
    filters = SearchFilters(
        year_from=years["from"],
        year_to=years["to"],
        review_types=types,
        nations=nations,
        age_bands=ages,
        themes=themes,
        report_ids=[report] if report else [],
    )
    return {
        "q": q,
        "themes": themes,
        "types": types,
        "nations": nations,
        "ages": ages,
        "raw_years": raw_years,
        "page": page,
        "errors": errors,
        "filters": filters,
        "params": params,
        "sort": sort,
        "view": view,
        "report": report,
        "per_report": per_report,
        "active": any(k not in ("sort", "view", "per_report") for k, _ in params),
        "has_filters": any(
            k not in ("q", "sort", "view", "report", "per_report") for k, _ in params
        ),
    }


def filter_groups(
    form: dict[str, Any], facets: dict[str, dict[str, int]] | None, context: dict[str, Any]
) -> list[dict[str, Any]]:
    """Checkbox groups for the filter panel, each option with its count when known."""
    facets = facets or {}

    overall = {t.id: t.passages for t in context.get("theme_choices", [])}

    def options(
        name: str, values: list[tuple[str, str]], selected: list[str], facet: str
    ) -> dict[str, Any]:
        counts = facets.get(facet, {})
        if not facets and facet == "theme":  # no search yet: counts over the whole corpus
            counts = overall
        items = []
        for value, label in values:
            count = counts.get(value) if (facets or facet == "theme") else None
            if (facets or facet == "theme") and not count and value not in selected:
                continue
            items.append(
                {"value": value, "label": label, "count": count, "checked": value in selected}
            )
        return {"name": name, "options": items}

    theme_values = [(t.id, t.name) for t in context.get("theme_choices", [])]
    order_by = facets.get("theme") or overall
    theme_values.sort(key=lambda v: (-(order_by.get(v[0]) or 0), v[1]))

    def unit(facet: str) -> str | None:
        """Say what the numbers count (passages or reports): the two differ."""
        if facets:
            return f"Numbers are matching {FACET_UNITS[facet]}."
        return f"Numbers are {FACET_UNITS[facet]}." if facet == "theme" else None

    groups = [
        {
            "legend": "Themes",
            "hint": f"Passages must carry every theme you tick. {unit('theme')}",
            "id": "theme",
        }
        | options("theme", theme_values, form["themes"], "theme"),
        {"legend": "Review type", "hint": unit("review_type"), "id": "type"}
        | options(
            "type",
            [(code, t.label) for code, t in REVIEW_TYPES.items()],
            form["types"],
            "review_type",
        ),
        {"legend": "Nation", "hint": unit("nation"), "id": "nation"}
        | options("nation", [(n, n) for n in NATIONS], form["nations"], "nation"),
        {"legend": "Age of the child", "hint": unit("age_band"), "id": "age"}
        | options("age", [(a, AGE_BAND_LABELS[a]) for a in AGE_BANDS], form["ages"], "age_band"),
    ]
    for g in groups:
        g["scroll"] = g["id"] == "theme" and len(g["options"]) > 8
    return [g for g in groups if g["options"]]


def selected_filters(form: dict[str, Any], context: dict[str, Any]) -> list[dict[str, str]]:
    """Chosen filters, each with a link that removes it."""
    names = {t.id: t.name for t in context.get("theme_choices", [])}
    out: list[dict[str, str]] = []
    params = form["params"]
    for key, value in params:
        if key in ("q", "sort", "view", "report", "per_report"):  # the results area shows these
            continue
        label = {
            "theme": lambda v: f"Theme: {names.get(v, v)}",
            "type": lambda v: f"Review type: {review_type_label(v)}",
            "nation": lambda v: f"Nation: {v}",
            "age": lambda v: f"Age: {AGE_BAND_LABELS.get(v, v)}",
            "from": lambda v: f"From {v}",
            "to": lambda v: f"To {v}",
        }[key](value)
        rest = [(k, v) for k, v in params if (k, v) != (key, value)]
        out.append({"label": label, "href": "/?" + query_string(rest)})
    return out


# --------------------------------------------------------------------------- theme page
def trend_chart(points: list[TrendPoint]) -> dict[str, Any] | None:
    """Geometry for the reports-per-year bar chart (drawn as SVG by the template)."""
    if not points:
        return None
    trend = [(p.year, p.reports, p.all_reports) for p in points]
    width, height = 640, 240
    left, right, top, bottom = 40, 10, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(total for _, _, total in trend), 1)
    step = max(1, -(-peak // 4))
    ticks = list(range(0, peak + step, step))
    scale_max = ticks[-1]
    slot = plot_w / len(trend)
    bar_w = max(4.0, min(36.0, slot * 0.7))
    bars = []
    label_every = max(1, -(-len(trend) // 12))
    for i, (year, tagged, total) in enumerate(trend):
        x = left + i * slot + (slot - bar_w) / 2
        h_total = plot_h * total / scale_max
        h_tagged = plot_h * tagged / scale_max
        bars.append(
            {
                "year": year,
                "tagged": tagged,
                "total": total,
                "x": round(x, 1),
                "w": round(bar_w, 1),
                "y_total": round(top + plot_h - h_total, 1),
                "h_total": round(h_total, 1),
                "y_tagged": round(top + plot_h - h_tagged, 1),
                "h_tagged": round(h_tagged, 1),
                "label": i % label_every == 0,
                "cx": round(x + bar_w / 2, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "base": top + plot_h,
        "ticks": [
            {"value": t, "y": round(top + plot_h - plot_h * t / scale_max, 1)} for t in ticks
        ],
        "bars": bars,
        "first": trend[0][0],
        "last": trend[-1][0],
        "peak_year": max(trend, key=lambda t: (t[1], t[0]))[0],
        "total_tagged": sum(t[1] for t in trend),
    }


# --------------------------------------------------------------------------- report page
METADATA_FIELDS = [
    ("review_type", "Review type"),
    ("partnership", "Partnership"),
    ("nation", "Nation"),
    ("year", "Year published"),
    ("child_code", "Child"),
    ("age", "Age of the child"),
    ("sex", "Sex"),
    ("outcome", "Outcome"),
    ("agencies", "Agencies involved"),
]


def metadata_fields(detail: ReportDetail) -> list[dict[str, Any]]:
    """The "About this review" rows: each value with where it was found."""
    meta = detail.metadata
    values: dict[str, Any] = {
        "review_type": review_type_label(meta.review_type) if meta.review_type else None,
        "partnership": meta.partnership,
        "nation": meta.nation,
        "year": meta.year,
        "child_code": meta.child_code,
        "age": meta.age_text or meta.age_band,
        "sex": meta.sex,
        "outcome": meta.outcome,
        "agencies": ", ".join(meta.agencies) if meta.agencies else None,
    }
    fields = []
    for key, label in METADATA_FIELDS:
        ev = meta.evidence.get(key)
        fields.append(
            {
                "key": key,
                "label": label,
                "value": values.get(key),
                "method": ev.method if ev else None,
                "page": ev.page if ev else None,
                "evidence": _short(ev.evidence) if ev and ev.evidence else None,
            }
        )
    return fields


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
