"""What the pages need from the index, as plain dicts for the templates.

Reads go through the shared data-access modules (``scrkb.index.catalog``,
``scrkb.index.packs``, ``scrkb.index.precedent``, ``scrkb.api.exports``) so the pages and
the API cannot disagree. This module only shapes their answers for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrkb.errors import InvalidQuery, NotFound
from scrkb.index.packs import PackConflict, Packs

if TYPE_CHECKING:  # pragma: no cover
    from scrkb.web.routes import Web

DEFAULT_PACK_TITLE = "My case-review pack"


# --------------------------------------------------------------------------- themes
@dataclass
class ThemeNames:
    names: dict[str, str]

    def name(self, theme_id: str) -> str:
        return self.names.get(theme_id) or theme_id.replace("_", " ").capitalize()


def _taxonomy_themes() -> list[Any]:
    try:
        from scrkb.nlp.taxonomy import default_taxonomy

        return list(default_taxonomy().themes)
    except Exception:  # a broken taxonomy must not take the pages down
        return []


def theme_names(web: Web) -> ThemeNames:
    return ThemeNames({t.id: t.name for t in _taxonomy_themes()})


def download_name(title: str, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:80] or "report"
    return f"{stem}{suffix}"


# --------------------------------------------------------------------------- packs
def _packs(web: Web) -> Packs:
    services = web.services
    if services is not None:
        services.store  # noqa: B018 - opens the services on first use
        return services.packs
    return Packs(web.store)


def get_pack(web: Web, pack_id: str | None) -> Any | None:
    if not pack_id:
        return None
    try:
        return _packs(web).get(pack_id)
    except NotFound:
        return None


def pack_size(web: Web, pack_id: str | None) -> int:
    if not pack_id:
        return 0
    try:
        rows = web.store.execute("SELECT COUNT(*) FROM pack_items WHERE pack_id = ?", (pack_id,))
    except Exception:  # store not built yet
        return 0
    return int(rows[0][0]) if rows else 0


def add_to_pack(web: Web, pack_id: str | None, passage_id: str) -> tuple[str, bool]:
    """Add a passage to the visitor's pack, creating the pack on first use."""
    packs = _packs(web)
    if get_pack(web, pack_id) is None:
        pack_id = packs.create(title=DEFAULT_PACK_TITLE).id
    assert pack_id is not None
    try:
        packs.add_item(pack_id, passage_id)
    except PackConflict:
        return pack_id, False
    return pack_id, True


def update_pack(web: Web, pack_id: str | None, action: str, form: Any) -> str:
    """Apply the pack page's form: save title/notes, move or remove an item, or empty it."""
    pack = get_pack(web, pack_id)
    if pack is None:
        raise NotFound("you do not have a pack yet: add a passage from a search result first")
    packs = _packs(web)
    # Always save what was typed first, so moving an item never loses an edited note.
    title = form.get("title")
    description = form.get("description")
    if title is not None or description is not None:
        packs.update(
            pack.id,
            title=str(title) if title is not None and str(title).strip() else None,
            description=str(description) if description is not None else None,
        )
    for item in pack.items:
        note = form.get(f"note-{item.passage_id}")
        if note is not None and str(note) != item.note:
            packs.update_item(pack.id, item.passage_id, note=str(note))
    order = [i.passage_id for i in pack.items]
    verb, _, target = action.partition(":")
    if verb in ("up", "down") and target in order:
        at = order.index(target)
        to = at - 1 if verb == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
            packs.reorder(pack.id, order)
        return "moved"
    if verb == "remove" and target in order:
        packs.remove_item(pack.id, target)
        return "removed"
    if verb == "clear":
        for pid in order:
            packs.remove_item(pack.id, pid)
        return "cleared"
    return "saved"


def check_pack_for_export(web: Web, pack_id: str | None) -> Any:
    pack = get_pack(web, pack_id)
    if pack is None or not pack.items:
        raise InvalidQuery("your pack is empty: add passages from a search result first")
    return pack


# --------------------------------------------------------------------------- catalog views
def catalog(web: Web) -> Any:
    from scrkb.index.catalog import Catalog

    services = web.services
    if services is not None:
        services.store  # noqa: B018 - opens the services on first use
        return services.catalog
    if getattr(web, "_catalog", None) is None:
        web._catalog = Catalog(web.store)  # noqa: SLF001 - one per app: it caches centroids
    return web._catalog


def theme_list(web: Web) -> list[dict[str, Any]]:
    """Every theme in the taxonomy (then any others tagged), with passage and report counts."""
    try:
        counts = catalog(web).theme_counts()
    except Exception:  # no store yet: themes still listed, with no counts
        counts = {}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for t in _taxonomy_themes():
        c = counts.get(t.id)
        out.append(
            {
                "id": t.id,
                "name": t.name,
                "definition": t.definition,
                "group": t.group,
                "passages": c.passages if c else 0,
                "reports": c.reports if c else 0,
            }
        )
        seen.add(t.id)
    names = theme_names(web)
    for theme_id, c in sorted(counts.items()):
        if theme_id not in seen:
            out.append(
                {
                    "id": theme_id,
                    "name": names.name(theme_id),
                    "definition": "",
                    "group": "other",
                    "passages": c.passages,
                    "reports": c.reports,
                }
            )
    return out


def theme_detail(web: Web, theme_id: str) -> dict[str, Any]:
    from scrkb.models import SearchFilters, SearchQuery

    themes = {t["id"]: t for t in theme_list(web)}
    theme = themes.get(theme_id)
    if theme is None:
        raise NotFound(f"there is no theme called {theme_id!r}")
    cat = catalog(web)
    trend = cat.theme_trend(theme_id)
    names = theme_names(web)
    co = [
        {
            "id": c.theme_id,
            "name": names.name(c.theme_id),
            "passages": c.passages,
            "reports": c.reports,
        }
        for c in cat.co_occurring(theme_id, limit=8)
    ]
    strongest = web.searcher.search(
        SearchQuery(text="", k=6, filters=SearchFilters(themes=[theme_id]))
    ).hits
    recs, rec_total = cat.recommendations_for_theme(theme_id, limit=10)
    return {
        "theme": theme,
        "trend": trend,
        "chart": trend_chart(trend),
        "co_themes": co,
        "strongest": strongest,
        "recommendations": recs,
        "recommendation_total": rec_total,
    }


def trend_chart(trend: list[tuple[int, int, int]]) -> dict[str, Any] | None:
    """Geometry for the reports-per-year bar chart (drawn as SVG by the template)."""
    if not trend:
        return None
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


def report_detail(web: Web, report_id: str) -> dict[str, Any]:
    from scrkb.web.render import review_type_label

    cat = catalog(web)
    detail = cat.report_detail(report_id)
    report = detail.report
    meta = report.metadata
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
    names = theme_names(web)
    profile = [
        {"id": e.theme_id, "name": names.name(e.theme_id), "passages": e.passages}
        for e in detail.theme_profile
    ]
    try:
        similar = cat.similar_reports(report_id, k=5)
    except Exception:  # similarity needs embeddings; the page works without it
        similar = []
    return {
        "report": report,
        "detail": detail,
        "fields": fields,
        "profile": profile,
        "profile_max": max((p["passages"] for p in profile), default=1),
        "similar": similar,
    }


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --------------------------------------------------------------------------- precedent
UPLOAD_SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".txt", ".md"}


def find_precedents(
    web: Web, *, text: str, filename: str | None = None, content: bytes | None = None
) -> Any:
    """Earlier reviews like a pasted or uploaded draft (an upload wins over pasted text)."""
    import tempfile
    from pathlib import Path

    from scrkb.index.precedent import draft_from_file, draft_from_text, find_precedent

    if filename and content is not None:
        suffix = Path(filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InvalidQuery(
                "the file must be a Word document (.docx), PDF, web page or text file"
            )
        with tempfile.TemporaryDirectory(prefix="scrkb-draft-") as tmp:
            path = Path(tmp) / f"draft{suffix}"
            path.write_bytes(content)
            passages = draft_from_file(
                path,
                max_bytes=web.settings.max_file_mb * 1024 * 1024,
                max_pages=web.settings.max_pages,
            )
    else:
        passages = draft_from_text(text)
    result = find_precedent(passages, web.searcher, catalog(web), k=8)
    names = theme_names(web)
    return {
        "result": result,
        "draft_themes": [
            {"id": t.theme_id, "name": names.name(t.theme_id), "passages": t.passages}
            for t in result.themes
        ],
    }


# --------------------------------------------------------------------------- export
EXPORT_FORMATS = {"md", "docx", "pdf"}
EXPORT_LAYOUTS = {"pack", "briefing"}


def export_pack(web: Web, pack_id: str | None, fmt: str, layout: str, base_url: str) -> Any:
    """The pack as a download, written by the same exporter the API uses."""
    from fastapi.responses import Response

    from scrkb.api.exports import ThemeInfo, export_pack

    if fmt not in EXPORT_FORMATS:
        raise InvalidQuery("choose Word, PDF or Markdown")
    if layout not in EXPORT_LAYOUTS:
        raise InvalidQuery("choose a layout: passages with citations, or a 7-minute briefing")
    pack = check_pack_for_export(web, pack_id)
    themes = {t.id: ThemeInfo(t.name, t.definition) for t in _taxonomy_themes()}
    content, media_type, filename = export_pack(
        pack,
        fmt,  # type: ignore[arg-type]
        layout="briefing" if layout == "briefing" else "standard",
        base_url=base_url,
        themes=themes,
    )
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
