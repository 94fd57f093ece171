"""The ``scrkb`` command line: one command per pipeline stage.

Exit codes: 0 success, 1 some input failed (the rest was processed), 2 usage or
configuration error, 3 knowledge base not ready.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scrkb.config import Settings, settings_for
from scrkb.errors import ConfigError, IndexNotReady, NotFound, ScrkbError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(
    help="scrkb: search the learning from UK child safeguarding case reviews by theme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
samples_app = typer.Typer(help="The bundled fictional sample corpus.", no_args_is_help=True)
app.add_typer(samples_app, name="samples")

console = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Data home (default: $SCRKB_HOME or ./data).", show_default=False),
]


def _settings(home: Path | None) -> Settings:
    return settings_for(home)


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _exit_code_for(exc: ScrkbError) -> int:
    if isinstance(exc, IndexNotReady | NotFound):
        return 3
    return 2


# --------------------------------------------------------------------------- ingest
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Extract, structure, tag and index report files (PDF, DOCX, HTML, text)."""
    from scrkb.ingest.pipeline import ingest_paths

    settings = _settings(home)
    logging.basicConfig(level=logging.WARNING)
    with Progress(
        TextColumn("[bold]ingest[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=None)

        def started(total: int) -> None:
            progress.update(task, total=total)

        def done(path: Path, outcome) -> None:  # noqa: ANN001
            progress.update(task, advance=1, description=escape(path.name[:60]))

        try:
            summary = ingest_paths(paths, settings, on_file=done, on_start=started)
        except ScrkbError as exc:
            raise _fail(exc.message, _exit_code_for(exc)) from exc

    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        _print_ingest_summary(summary)
    if summary.failures:
        raise typer.Exit(1)


def _print_ingest_summary(summary) -> None:  # noqa: ANN001
    d = summary.as_dict()
    out.print(
        f"documents: {d['documents']} (added {d['added']}, replaced {d['replaced']}, "
        f"no text {d['no_text']}), unchanged: {d['unchanged']}, duplicates: {d['duplicates']}, "
        f"passages: {d['passages']}, pages: {d['pages']}, failures: {d['failed']}"
    )
    for o in summary.outcomes:
        if o.status in ("failed", "no_text", "duplicate"):
            out.print(f"  {o.status}: {escape(o.path)}: {escape(o.message or '')}")


# --------------------------------------------------------------------------- search
@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="What to look for, in plain words.")] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="Results to return.")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many results (paging).")] = 0,
    year_from: Annotated[int | None, typer.Option(help="Published in or after this year.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Published in or before this year.")] = None,
    review_type: Annotated[
        list[str] | None, typer.Option("--type", help="Review type: scr, lcspr, national, cpr, ...")
    ] = None,
    nation: Annotated[list[str] | None, typer.Option(help="England, Wales, Scotland, ...")] = None,
    partnership: Annotated[list[str] | None, typer.Option(help="Publishing partnership.")] = None,
    age_band: Annotated[list[str] | None, typer.Option(help="under 1, 1-4, 5-9, ...")] = None,
    theme: Annotated[list[str] | None, typer.Option(help="Theme id (repeatable).")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
    batch: Annotated[
        Path | None, typer.Option(help="File with one query per line; prints JSON lines.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    explain: Annotated[bool, typer.Option(help="Show each arm's rank and score.")] = False,
    home: HomeOpt = None,
) -> None:
    """Search passages by theme or in your own words."""
    from scrkb.index.search import Searcher
    from scrkb.models import SearchFilters, SearchQuery

    if mode not in ("hybrid", "bm25", "dense"):
        raise _fail(f"unknown mode {mode!r}: use hybrid, bm25 or dense")
    if batch is None and query is None:
        raise _fail("give a QUERY, or --batch FILE")
    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    if theme:
        _check_themes(theme)
    filters = SearchFilters(
        year_from=year_from,
        year_to=year_to,
        review_types=review_type,
        nations=nation,
        partnerships=partnership,
        age_bands=age_band,
        themes=theme,
    )
    lines: list[str] = []
    if batch is not None:
        try:
            lines = [ln.strip() for ln in batch.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read {batch}: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        searcher = Searcher(settings)
        if batch is not None:
            failed = 0
            for line in filter(None, lines):
                try:
                    results = searcher.search(
                        SearchQuery(text=line, k=k, offset=offset, filters=filters), mode=mode
                    )
                    record = _results_json(results)
                except ScrkbError as exc:  # one bad query must not end a researcher's batch
                    failed += 1
                    record = {"query": line, "results": [], "error": exc.message}
                sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
            if failed:
                raise typer.Exit(1)
            return
        results = searcher.search(
            SearchQuery(text=query or "", k=k, offset=offset, filters=filters), mode=mode
        )
    except ScrkbError as exc:
        raise _fail(exc.message, _exit_code_for(exc)) from exc
    except BrokenPipeError:  # `scrkb search ... | head`: the reader has what it wanted
        sys.stderr.close()
        raise typer.Exit(0) from None
    if as_json:
        sys.stdout.write(json.dumps(_results_json(results), indent=2) + "\n")
    else:
        _print_results(results, explain=explain)


def _check_themes(themes: list[str]) -> None:
    from scrkb.nlp.taxonomy import default_taxonomy

    valid = default_taxonomy().ids
    unknown = [t for t in themes if t not in valid]
    if unknown:
        raise _fail(f"unknown theme id(s) {', '.join(unknown)}; valid ids: {', '.join(valid)}")


def _results_json(results) -> dict:  # noqa: ANN001
    from scrkb.index.search import MARK_END, MARK_START

    return {
        "query": results.query,
        "total": results.total,
        "results": [
            {
                "rank": h.rank,
                "passage_id": h.passage_id,
                "report_id": h.report_id,
                "title": h.title,
                "text": h.text,
                "page": h.page,
                "page_end": h.page_end,
                "score": h.score,
                "themes": [t.id for t in h.themes],
                "theme_confidence": {t.id: t.confidence for t in h.themes},
                "snippet": h.snippet.replace(MARK_START, "[").replace(MARK_END, "]"),
                "heading_path": h.heading_path,
                "year": h.year,
                "partnership": h.partnership,
                "review_type": h.review_type,
                "nation": h.nation,
                "source_url": h.source_url,
                "score_parts": h.score_parts.model_dump(),
            }
            for h in results.hits
        ],
    }


def _print_results(results, *, explain: bool) -> None:  # noqa: ANN001
    from scrkb.index.search import MARK_END, MARK_START

    if not results.hits:
        out.print("No passages found. Try fewer or different words, or remove filters.")
        return
    for h in results.hits:
        where = ", ".join(
            str(x) for x in (h.partnership, h.year, f"page {h.page}") if x is not None
        )
        out.print(f"[bold]{h.rank}. {escape(h.title)}[/bold]  [dim]({escape(where)})[/dim]")
        if h.heading_path:
            out.print(f"   [dim]{escape(' › '.join(h.heading_path))}[/dim]")
        snippet = escape(h.snippet).replace(MARK_START, "[bold yellow]").replace(
            MARK_END, "[/bold yellow]"
        )
        out.print(f"   {snippet}")
        if h.themes:
            out.print("   themes: " + ", ".join(escape(t.name) for t in h.themes))
        if explain:
            p = h.score_parts
            out.print(
                f"   [dim]fused {p.fused:.4f}; bm25 rank {p.bm25_rank} ({p.bm25_score}); "
                f"dense rank {p.dense_rank} ({p.dense_score})[/dim]"
            )
        out.print(f"   [dim]passage {h.passage_id}[/dim]\n")


# --------------------------------------------------------------------------- report, stats
@app.command()
def report(
    report_id: Annotated[str, typer.Argument(help="Report id, as shown by search.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    home: HomeOpt = None,
) -> None:
    """Show one report: metadata with evidence, recommendations, themes."""
    from scrkb.index.store import Store

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    with Store(settings.db_path) as store:
        try:
            rep = store.get_report(report_id)
        except NotFound as exc:
            raise _fail(exc.message, 3) from exc
        passages = store.passages_for_report(report_id)
    profile: dict[str, int] = {}
    for p in passages:
        for t in p.themes:
            profile[t.theme_id] = profile.get(t.theme_id, 0) + 1
    if as_json:
        data = rep.model_dump(mode="json")
        data["passages"] = len(passages)
        data["theme_profile"] = dict(sorted(profile.items(), key=lambda kv: -kv[1]))
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    m = rep.metadata
    out.print(f"[bold]{escape(rep.title)}[/bold]  ({rep.id})")
    table = Table(show_header=False, box=None)
    for label, value in (
        ("Review type", m.review_type),
        ("Nation", m.nation),
        ("Partnership", m.partnership),
        ("Year", m.year),
        ("Child", m.child_code),
        ("Age", m.age_text),
        ("Age band", m.age_band),
        ("Outcome", m.outcome),
        ("Agencies", ", ".join(m.agencies) or None),
        ("Pages", rep.page_count),
        ("Passages", len(passages)),
        ("Source", rep.source_url or rep.source),
        ("Status", rep.status_reason or rep.status),
    ):
        table.add_row(label, escape(str(value)) if value is not None else "[dim]not found[/dim]")
    out.print(table)
    if profile:
        out.print("[bold]Themes[/bold] (passages): " + ", ".join(
            f"{t} {n}" for t, n in sorted(profile.items(), key=lambda kv: -kv[1])
        ))
    for r in rep.recommendations:
        out.print(f"  Recommendation {escape(r.number)}: {escape(r.text)}")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False, home: HomeOpt = None) -> None:
    """Counts of reports, passages and tags in the knowledge base."""
    from scrkb.index.store import Store

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    with Store(settings.db_path) as store:
        data = store.stats()
    data["home"] = str(settings.home)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for key, value in data.items():
        out.print(f"{key}: {value}")


# --------------------------------------------------------------------------- tagging
@app.command()
def tag(
    source: Annotated[
        str, typer.Argument(help="A file, or - for standard input.", show_default=False)
    ] = "-",
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='Read lines {"id", "text"}; write one JSON line each.')
    ] = False,
    batch_size: Annotated[int, typer.Option(help="Passages tagged per batch.")] = 512,
) -> None:
    """Tag text with the coding frame's themes (confidence and evidence for each)."""

    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror}") from exc
    try:
        _tag_stream(stream, jsonl=jsonl, batch_size=batch_size)
    finally:
        if stream is not sys.stdin:
            stream.close()


def _tag_stream(stream, *, jsonl: bool, batch_size: int) -> None:  # noqa: ANN001
    from scrkb.nlp.themes import get_tagger

    tagger = get_tagger()
    if not jsonl:
        text = stream.read()
        if not text.strip():
            raise _fail("no text to tag")
        tags = tagger.tag_texts([text])[0]
        table = Table("theme", "confidence", "evidence", title="Themes found")
        for t in tags:
            table.add_row(t.theme_id, f"{t.confidence:.2f}", escape(t.evidence[:160]))
        if not tags:
            out.print("No theme above the decision threshold.")
        else:
            out.print(table)
        return
    bad = 0
    pending: list[tuple[object, str]] = []

    def flush() -> None:
        if not pending:
            return
        results = tagger.tag_texts([t for _, t in pending], processes=os.cpu_count() or 1)
        for (pid, _), tags in zip(pending, results, strict=True):
            sys.stdout.write(json.dumps({
                "id": pid,
                "themes": [
                    {"id": t.theme_id, "confidence": t.confidence, "evidence": t.evidence,
                     "start": t.start, "end": t.end}
                    for t in tags
                ],
            }) + "\n")
        sys.stdout.flush()
        pending.clear()

    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pid, text = record["id"], record["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            bad += 1
            console.print(f"[yellow]line {lineno} skipped:[/yellow] {escape(str(exc))}")
            sys.stdout.write(json.dumps({"id": None, "line": lineno, "error": str(exc)}) + "\n")
            continue
        pending.append((pid, text))
        if len(pending) >= batch_size:
            flush()
    flush()
    if bad:
        raise typer.Exit(1)


@app.command()
def retag(home: HomeOpt = None) -> None:
    """Re-tag every passage and re-extract metadata after a taxonomy or model change."""
    from scrkb.nlp.retag import retag_store

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    with Progress(
        TextColumn("[bold]retag[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=None)
        result = retag_store(
            settings,
            on_start=lambda n: progress.update(task, total=n),
            on_report=lambda _rid: progress.update(task, advance=1),
        )
    out.print(
        f"re-tagged {result['reports']} reports, {result['passages']} passages: "
        f"{result['tags']} theme tags (tagger {result['tagger']})"
    )


@app.command("train-tagger")
def train_tagger() -> None:
    """Train the tagger's semantic stage and thresholds on the gold dev split."""
    from scrkb.nlp.train import train

    info = train()
    out.print_json(json.dumps(info))


@app.command("eval")
def evaluate_cmd(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    split: Annotated[str, typer.Option(help="Gold split: test (default) or dev.")] = "test",
) -> None:
    """Per-theme precision/recall/F1 on the gold test split, beside the keyword baseline."""
    from scrkb.nlp.evaluate import evaluate, format_report

    result = evaluate(split=split)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        out.print(format_report(result))


# --------------------------------------------------------------------------- samples, demo
def _samples_module():  # noqa: ANN202
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        from samples import render
    except ImportError as exc:
        raise _fail(f"the sample corpus is not available ({exc}); run from a scrkb checkout") from exc
    return render


@samples_app.command("build")
def samples_build(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the files.")] = REPO_ROOT
    / "samples"
    / "build",
) -> None:
    """Render the fictional sample reviews to real PDF, DOCX, HTML and text files."""
    render = _samples_module()
    files = render.build_samples(REPO_ROOT / "samples" / "reviews", out_dir)
    out.print(f"{len(files)} sample files in {out_dir}")


DEMO_QUERIES = [
    "baby with a bruise seen in hospital and sent home",
    "mother's new boyfriend never assessed",
    "school worried but nobody escalated",
    "teenager groomed by older men and going missing",
]


@app.command()
def demo(
    home: HomeOpt = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build only, then exit.")] = False,
) -> None:
    """Build the sample corpus into its own home (if missing), then serve the app."""
    from scrkb.ingest.pipeline import ingest_paths

    settings = settings_for(home or Path("data") / "demo")
    if not settings.db_path.exists():
        render = _samples_module()
        build_dir = REPO_ROOT / "samples" / "build"
        console.print("Rendering the fictional sample corpus ...")
        render.build_samples(REPO_ROOT / "samples" / "reviews", build_dir)
        console.print(f"Ingesting into {settings.home} ...")
        summary = ingest_paths([build_dir], settings)
        _print_ingest_summary(summary)
    if no_serve:
        return
    try:
        from scrkb.api.app import serve
    except ImportError:
        _demo_searches(settings)
        return
    serve(settings, host=host, port=port)


def _demo_searches(settings: Settings) -> None:
    from scrkb.index.search import Searcher
    from scrkb.models import SearchQuery

    searcher = Searcher(settings)
    for q in DEMO_QUERIES:
        out.rule(f"[bold]{escape(q)}")
        _print_results(searcher.search(SearchQuery(text=q, k=3)), explain=False)


from scrkb.api.cli import serve_cmd  # noqa: E402 - registered after the core commands

app.command("serve")(serve_cmd)

from scrkb.ingest.crawl.cli import crawl as _crawl  # noqa: E402 - scrapy loads lazily

app.command("crawl")(_crawl)


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {escape(exc.message)}")
        raise SystemExit(2) from exc
