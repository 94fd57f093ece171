"""The web pages: server-rendered HTML on GOV.UK Frontend, working without JavaScript.

``mount(app, settings)`` adds the pages and ``/static`` to the FastAPI app that
``scrkb.api.app.create_app`` builds. Pages call the same Python functions the API does
(``scrkb.index.search``, ``scrkb.index.catalog``, ``scrkb.index.packs``,
``scrkb.index.precedent``, ``scrkb.api.exports``), never the API over HTTP.

Every page is a GET whose URL holds the whole state (searches can be shared and
bookmarked); changes (adding to a pack, dismissing the content notice) are POSTs that
redirect back (post/redirect/get), so the back button and reloads behave.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from scrkb.config import Settings
from scrkb.errors import InvalidQuery, NotFound, ScrkbError
from scrkb.index.search import Searcher
from scrkb.models import AGE_BANDS, SearchFilters, SearchQuery
from scrkb.web import data
from scrkb.web.render import (
    NATIONS,
    REVIEW_TYPES,
    STATIC_DIR,
    environment,
    page_range,
    query_string,
)

log = logging.getLogger(__name__)

PER_PAGE = 10
CW_COOKIE = "scrkb_notice_seen"
PACK_COOKIE = "scrkb_pack"
FLASH_COOKIE = "scrkb_flash"
YEAR_MIN, YEAR_MAX = 1970, 2100
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

EXAMPLE_QUERIES = [
    "baby with a bruise seen in hospital and sent home",
    "mother's new boyfriend never assessed",
    "school worried but nobody escalated",
    "teenager groomed by older men and going missing",
]
AGE_LABELS = {
    "under 1": "Under 1 year",
    "1-4": "1 to 4 years",
    "5-9": "5 to 9 years",
    "10-14": "10 to 14 years",
    "15-17": "15 to 17 years",
}


# --------------------------------------------------------------------------- app state
class Web:
    """What the pages share: settings, one Searcher, the template environment."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.env = environment()
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()

    @property
    def services(self) -> Any | None:
        """The API's per-worker services (store, searcher, catalog, packs), when mounted there."""
        return getattr(self.app.state, "services", None)

    @property
    def searcher(self) -> Searcher:
        if self.services is not None:
            return self.services.searcher
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._searcher = Searcher(self.settings)
        return self._searcher

    @property
    def store(self):  # noqa: ANN201
        return self.searcher.store

    def warm(self) -> None:
        """Load the embedding model and vector index in the background after start-up."""

        if self.services is not None:  # the API app warms its own services
            return

        def run() -> None:
            try:
                if self.settings.db_path.exists():
                    self.searcher.warm()
            except Exception:  # a cold start only costs the first query time
                log.debug("web warm-up failed", exc_info=True)

        threading.Thread(target=run, name="scrkb-web-warm", daemon=True).start()

    # ------------------------------------------------------------------ rendering
    def render(
        self,
        request: Request,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        pack_id = request.cookies.get(PACK_COOKIE)
        flash = request.cookies.get(FLASH_COOKIE)
        base = {
            "request": request,
            "path": request.url.path,
            "here": _here(request),
            "show_notice": request.cookies.get(CW_COOKIE) != "1",
            "pack_count": data.pack_size(self, pack_id),
            "flash": flash if flash in FLASH_MESSAGES else None,
            "flash_messages": FLASH_MESSAGES,
            "theme_name": data.theme_names(self).name,
        }
        base.update(context)
        html = self.env.get_template(template).render(base)
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def error(self, request: Request, exc: ScrkbError) -> HTMLResponse:
        status = getattr(exc, "status_code", 500)
        titles = {404: "Page not found", 422: "There is a problem", 503: "Not ready yet"}
        return self.render(
            request,
            "error.html",
            status_code=status,
            title=titles.get(status, "Sorry, there is a problem"),
            message=exc.message,
            status=status,
        )


FLASH_MESSAGES = {
    "added": "Passage added to your pack.",
    "already": "That passage is already in your pack.",
    "removed": "Passage removed from your pack.",
    "moved": "Passage moved.",
    "saved": "Your pack has been saved.",
    "cleared": "Your pack has been emptied.",
    "notice": "Thank you. The content notice will not be shown again on this device.",
}


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value:
        return default
    return value


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, flash, max_age=60, path="/", samesite="lax", httponly=True
        )
    return response


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


# --------------------------------------------------------------------------- routing
def _web_route_class(web_ref: Callable[[], Web]) -> type[APIRoute]:
    class WebRoute(APIRoute):
        """Turns scrkb's named errors into GOV.UK error pages (not JSON) on web routes."""

        def get_route_handler(self):  # noqa: ANN202
            handler = super().get_route_handler()

            async def route(request: Request) -> Response:
                try:
                    return await handler(request)
                except ScrkbError as exc:
                    return web_ref().error(request, exc)

            return route

    return WebRoute


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the web pages and their static files to ``app``."""
    web = Web(app, settings)
    app.state.web = web
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(build_router(web))
    web.warm()


def build_router(web: Web) -> APIRouter:
    router = APIRouter(route_class=_web_route_class(lambda: web), include_in_schema=False)
    html = {"response_class": HTMLResponse}

    # ------------------------------------------------------------------ search (home)
    @router.api_route("/", methods=["GET", "HEAD"], **html, name="web_search")
    def search_page(request: Request) -> HTMLResponse:
        started = time.perf_counter()
        form = parse_search(request)
        context: dict[str, Any] = {"form": form, "examples": EXAMPLE_QUERIES}
        context["theme_choices"] = data.theme_list(web)
        if form["errors"]:
            context.update(results=None, facets=None)
        elif form["active"]:
            query = SearchQuery(
                text=form["q"],
                k=PER_PAGE,
                offset=(form["page"] - 1) * PER_PAGE,
                filters=form["filters"],
            )
            try:
                results = web.searcher.search(query, with_facets=True)
            except InvalidQuery as exc:
                form["errors"]["q"] = exc.message
                results = None
            context["results"] = results
            context["facets"] = results.facets if results else None
            if results:
                last = max(1, -(-results.total // PER_PAGE))
                context["pages"] = page_range(form["page"], last)
                context["last_page"] = last
        else:
            context.update(results=None, facets=None)
        context["filter_groups"] = filter_groups(form, context.get("facets"), context)
        context["selected_filters"] = selected_filters(form, context)
        context["page_url"] = lambda n: (
            "/?" + query_string(form["params"], page=n if n > 1 else None)
        )
        response = web.render(request, "search.html", **context)
        timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        results = context.get("results")
        if results is not None and results.timings_ms.get("total") is not None:
            timing += f", search;dur={results.timings_ms['total']:.1f}"
        response.headers["Server-Timing"] = timing
        return response

    # ------------------------------------------------------------------ notice, support
    @router.post("/content-notice", name="web_content_notice")
    def dismiss_notice(request: Request, next: str = Form("/")) -> Response:  # noqa: A002
        if wants_json(request):
            response: Response = Response(status_code=204)
        else:
            response = redirect(safe_next(next), flash="notice")
        response.set_cookie(
            CW_COOKIE, "1", max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True
        )
        return response

    @router.api_route("/support", methods=["GET", "HEAD"], **html, name="web_support")
    def support_page(request: Request) -> HTMLResponse:
        return web.render(request, "support.html")

    # ------------------------------------------------------------------ themes
    @router.api_route("/themes", methods=["GET", "HEAD"], **html, name="web_themes")
    def themes_page(request: Request) -> HTMLResponse:
        return web.render(request, "themes.html", themes=data.theme_list(web))

    @router.api_route("/themes/{theme_id}", methods=["GET", "HEAD"], **html, name="web_theme")
    def theme_page(request: Request, theme_id: str) -> HTMLResponse:
        return web.render(request, "theme.html", **data.theme_detail(web, theme_id))

    # ------------------------------------------------------------------ reports
    @router.api_route("/reports/{report_id}", methods=["GET", "HEAD"], **html, name="web_report")
    def report_page(request: Request, report_id: str) -> HTMLResponse:
        return web.render(request, "report.html", **data.report_detail(web, report_id))

    @router.get("/reports/{report_id}/original", name="web_report_original")
    def report_original(report_id: str) -> Response:
        report = web.store.get_report(report_id)
        if report.source_url:
            return RedirectResponse(report.source_url, status_code=302)
        name = str(report.provenance.get("original") or "")
        path = (web.settings.home / "files" / name).resolve()
        files = (web.settings.home / "files").resolve()
        if not name or files not in path.parents or not path.is_file():
            raise NotFound("the original file of this report is not kept in this knowledge base")
        media = {
            "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "html": "text/html; charset=utf-8",
            "text": "text/plain; charset=utf-8",
        }.get(report.format, "application/octet-stream")
        download = data.download_name(report.title, path.suffix)
        disposition = "inline" if report.format in ("pdf", "text") else "attachment"
        return FileResponse(
            path,
            media_type=media,
            filename=download,
            content_disposition_type=disposition,
            headers={"X-Content-Type-Options": "nosniff"},
        )

    # ------------------------------------------------------------------ precedent finder
    @router.api_route("/precedents", methods=["GET", "HEAD"], **html, name="web_precedents")
    def precedents_form(request: Request) -> HTMLResponse:
        return web.render(request, "precedents.html", draft="", errors={}, result=None)

    @router.post("/precedents", **html, name="web_precedents_post")
    async def precedents_post(
        request: Request,
        draft: str = Form(""),
        upload: UploadFile | None = None,
    ) -> HTMLResponse:
        errors: dict[str, str] = {}
        filename = upload.filename if upload is not None and upload.filename else None
        content = await upload.read(MAX_UPLOAD_BYTES + 1) if filename and upload else b""
        result = None
        if filename and len(content) > MAX_UPLOAD_BYTES:
            errors["upload"] = "The file must be smaller than 20 MB"
        elif filename and not content:
            errors["upload"] = "The file you chose is empty"
        elif not filename and not draft.strip():
            errors["draft"] = "Paste the text of your draft, or choose a file to upload"
        else:
            try:
                result = data.find_precedents(
                    web, text=draft, filename=filename, content=content or None
                )
            except ScrkbError as exc:
                errors["upload" if filename else "draft"] = (
                    exc.message[:1].upper() + exc.message[1:]
                )
        return web.render(
            request,
            "precedents.html",
            status_code=422 if errors else 200,
            draft=draft,
            filename=filename,
            errors=errors,
            result=result,
        )

    # ------------------------------------------------------------------ packs
    @router.api_route("/pack", methods=["GET", "HEAD"], **html, name="web_pack")
    def pack_page(request: Request) -> HTMLResponse:
        pack = data.get_pack(web, request.cookies.get(PACK_COOKIE))
        return web.render(request, "pack.html", pack=pack)

    @router.post("/pack/items", name="web_pack_add")
    def pack_add(
        request: Request,
        passage_id: str = Form(...),
        next: str = Form("/pack"),  # noqa: A002
    ) -> Response:
        pack_id, added = data.add_to_pack(web, request.cookies.get(PACK_COOKIE), passage_id)
        count = data.pack_size(web, pack_id)
        if wants_json(request):
            from fastapi.responses import JSONResponse

            response: Response = JSONResponse({"added": added, "count": count})
        else:
            target = safe_next(next, "/pack")
            response = redirect(target, flash="added" if added else "already")
        response.set_cookie(
            PACK_COOKIE, pack_id, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True
        )
        return response

    @router.post("/pack", name="web_pack_update")
    async def pack_update(request: Request) -> Response:
        form = await request.form()
        pack_id = request.cookies.get(PACK_COOKIE)
        action = str(form.get("action") or "save")
        flash = data.update_pack(web, pack_id, action, form)
        return redirect(
            "/pack" + ("#items" if action.startswith(("up:", "down:")) else ""), flash=flash
        )

    @router.get("/pack/export", name="web_pack_export")
    def pack_export(request: Request, format: str = "md", layout: str = "pack") -> Response:  # noqa: A002
        pack_id = request.cookies.get(PACK_COOKIE)
        return data.export_pack(web, pack_id, format, layout, str(request.base_url))

    return router


# --------------------------------------------------------------------------- search form
def _ints(values: list[str]) -> list[str]:
    return [v for v in values if v]


def parse_search(request: Request) -> dict[str, Any]:
    """The search URL's parameters, checked; errors are keyed by field for the error summary."""
    qp = request.query_params
    errors: dict[str, str] = {}
    q = (qp.get("q") or "").strip()
    themes = _ints(qp.getlist("theme"))
    types = [t for t in qp.getlist("type") if t in REVIEW_TYPES]
    nations = [n for n in qp.getlist("nation") if n in NATIONS]
    ages = [a for a in qp.getlist("age") if a in AGE_BANDS]
    years: dict[str, int | None] = {}
    raw_years = {"from": (qp.get("from") or "").strip(), "to": (qp.get("to") or "").strip()}
    for key, raw in raw_years.items():
        years[key] = None
        if raw:
            if raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX:
                years[key] = int(raw)
            else:
                label = "From" if key == "from" else "To"
                errors[key] = f"{label} year must be a year, like 2015"
    if years["from"] and years["to"] and years["from"] > years["to"]:
        errors["to"] = "To year must be the same as or after the from year"
    try:
        page = max(1, min(int(qp.get("page") or 1), 100))
    except ValueError:
        page = 1
    params: list[tuple[str, str]] = []
    if q:
        params.append(("q", q))
    params += [("theme", t) for t in themes] + [("type", t) for t in types]
    params += [("nation", n) for n in nations] + [("age", a) for a in ages]
    params += [(k, v) for k, v in raw_years.items() if v]
    filters = SearchFilters(
        year_from=years["from"],
        year_to=years["to"],
        review_types=types,
        nations=nations,
        age_bands=ages,
        themes=themes,
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
        "active": bool(params),
        "has_filters": any(k != "q" for k, _ in params),
    }


def filter_groups(
    form: dict[str, Any], facets: dict[str, dict[str, int]] | None, context: dict[str, Any]
) -> list[dict[str, Any]]:
    """Checkbox groups for the filter panel, each option with its count when known."""
    facets = facets or {}

    overall = {t["id"]: t["passages"] for t in context.get("theme_choices", [])}

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

    theme_values = [(t["id"], t["name"]) for t in context.get("theme_choices", [])]
    order_by = facets.get("theme") or overall
    theme_values.sort(key=lambda v: (-(order_by.get(v[0]) or 0), v[1]))
    groups = [
        {"legend": "Themes", "hint": "Passages must carry every theme you tick", "id": "theme"}
        | options("theme", theme_values, form["themes"], "theme"),
        {"legend": "Review type", "id": "type"}
        | options("type", list(REVIEW_TYPES.items()), form["types"], "review_type"),
        {"legend": "Nation", "id": "nation"}
        | options("nation", [(n, n) for n in NATIONS], form["nations"], "nation"),
        {"legend": "Age of the child", "id": "age"}
        | options("age", [(a, AGE_LABELS[a]) for a in AGE_BANDS], form["ages"], "age_band"),
    ]
    for g in groups:
        g["scroll"] = g["id"] == "theme" and len(g["options"]) > 8
    return [g for g in groups if g["options"]]


def selected_filters(form: dict[str, Any], context: dict[str, Any]) -> list[dict[str, str]]:
    """Chosen filters, each with a link that removes it."""
    names = {t["id"]: t["name"] for t in context.get("theme_choices", [])}
    out: list[dict[str, str]] = []
    params = form["params"]
    for key, value in params:
        if key in ("q",):
            continue
        label = {
            "theme": lambda v: f"Theme: {names.get(v, v)}",
            "type": lambda v: f"Review type: {REVIEW_TYPES.get(v, v)}",
            "nation": lambda v: f"Nation: {v}",
            "age": lambda v: f"Age: {AGE_LABELS.get(v, v)}",
            "from": lambda v: f"From {v}",
            "to": lambda v: f"To {v}",
        }[key](value)
        rest = [(k, v) for k, v in params if (k, v) != (key, value)]
        out.append({"label": label, "href": "/?" + query_string(rest)})
    return out
