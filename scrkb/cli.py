"""The ``scrkb`` command line: one command per pipeline stage.

Commands only: each parses its options, calls a use case (``scrkb/services/``, or a stage
directly) and hands the result to ``scrkb/console.py``, which prints it.

Exit codes: 0 success, 1 some input failed (the rest was processed), 2 usage or
configuration error, 3 knowledge base not ready.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from scrkb import console as show
from scrkb.config import Settings, settings_for
from scrkb.console import console, out
from scrkb.errors import ConfigError, IndexNotReady, NotFound, ScrkbError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    help="scrkb: search the learning from UK child safeguarding case reviews by theme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
samples_app = typer.Typer(help="The bundled fictional sample corpus.", no_args_is_help=True)
app.add_typer(samples_app, name="samples")

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
    from scrkb.services.ingest import ingest_paths
    from scrkb.services.jobs import recorded_job, shown_ingest_result, shown_path

    settings = _settings(home)
    logging.basicConfig(level=logging.WARNING)
    with Progress(
        TextColumn("[bold]{task.fields[stage]}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as progress:
        # files count when they are finished (stored, skipped or failed), not when started
        task = progress.add_task("", total=None, stage="ingest")

        def started(total: int) -> None:
            progress.update(task, total=total)

        def done(path: Path, outcome) -> None:  # noqa: ANN001
            progress.update(task, advance=1, description=escape(path.name[:60]))

        try:
            # the record names what was given, not where it sits on the server's disks
            params = {"paths": [shown_path(p, paths) for p in paths], "from": "command line"}
            with recorded_job(settings, "ingest", params) as job:
                summary = ingest_paths(
                    paths,
                    settings,
                    on_file=done,
                    on_start=started,
                    on_reembed=_reembed_task(progress),
                )
                job.result = shown_ingest_result(summary.as_dict(), paths)
                job.message = (
                    f"{summary.documents} document(s) ingested, {len(summary.failures)} failed"
                )
                if summary.failures:  # as the server's own ingest jobs end
                    every = len(summary.failures) == len(summary.outcomes)
                    job.status = "failed" if every else "partial"
        except ScrkbError as exc:
            raise _fail(exc.message, _exit_code_for(exc)) from exc

    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        show.print_ingest_summary(summary)
    if summary.failures:
        raise typer.Exit(1)


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
    sort: Annotated[
        str, typer.Option(help="relevance, newest or oldest (report year, then relevance).")
    ] = "relevance",
    by_report: Annotated[
        bool, typer.Option("--by-report", help="Group hits report by report; -k counts reports.")
    ] = False,
    per_report: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=100,
            help="Most hits from one report (0: all; default SCRKB_HITS_PER_REPORT).",
        ),
    ] = None,
    report: Annotated[
        list[str] | None,
        typer.Option(help="Only this report's passages (repeatable): all of them."),
    ] = None,
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
    from scrkb.services.search import search as search_use_case

    if mode not in ("hybrid", "bm25", "dense"):
        raise _fail(f"unknown mode {mode!r}: use hybrid, bm25 or dense")
    if sort not in ("relevance", "newest", "oldest"):
        raise _fail(f"unknown sort {sort!r}: use relevance, newest or oldest")
    arrangement = {
        "sort": sort,
        "view": "reports" if by_report else "passages",
        "per_report": per_report,
    }
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
        report_ids=report,
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
                    results = search_use_case(
                        searcher,
                        SearchQuery(text=line, k=k, offset=offset, filters=filters, **arrangement),
                        mode=mode,
                    )
                    record = show.results_json(results)
                except ScrkbError as exc:  # one bad query must not end a researcher's batch
                    failed += 1
                    record = {"query": line, "results": [], "error": exc.message}
                sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
            if failed:
                raise typer.Exit(1)
            return
        results = search_use_case(
            searcher,
            SearchQuery(text=query or "", k=k, offset=offset, filters=filters, **arrangement),
            mode=mode,
        )
    except ScrkbError as exc:
        raise _fail(exc.message, _exit_code_for(exc)) from exc
    except BrokenPipeError:  # `scrkb search ... | head`: the reader has what it wanted
        sys.stderr.close()
        raise typer.Exit(0) from None
    if as_json:
        show.write_json(show.results_json(results))
    else:
        show.print_results(results, explain=explain)


def _check_themes(themes: list[str]) -> None:
    from scrkb.nlp.taxonomy import default_taxonomy

    valid = default_taxonomy().ids
    unknown = [t for t in themes if t not in valid]
    if unknown:
        raise _fail(f"unknown theme id(s) {', '.join(unknown)}; valid ids: {', '.join(valid)}")


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
    with Store(settings.db_path, readonly=settings.is_read_only()) as store:
        try:
            rep = store.get_report(report_id)
        except NotFound as exc:
            raise _fail(exc.message, 3) from exc
        passages = store.passages_for_report(report_id)
    if as_json:
        show.write_json(show.report_json(rep, passages))
    else:
        show.print_report(rep, passages)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False, home: HomeOpt = None) -> None:
    """Counts of reports, passages and tags in the knowledge base."""
    from scrkb.services.container import Services
    from scrkb.services.reports import stats as kb_stats

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    services = Services(settings)
    try:
        counts = kb_stats(services)
    finally:
        services.close()
    if as_json:
        show.write_json(show.stats_json(counts, str(settings.home)))
    else:
        show.print_stats(counts, str(settings.home))


@app.command()
def reindex(home: HomeOpt = None) -> None:
    """Rebuild the vector and BM25 indexes from the store (before publishing a snapshot)."""
    from scrkb.index.lexical import LEXICAL_DIR, LexicalIndex
    from scrkb.index.store import Store
    from scrkb.index.vectors import rebuild_vector_index
    from scrkb.services.jobs import recorded_job

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    if settings.is_read_only():
        raise _fail(f"{settings.home} is read-only: rebuild the index in a writable copy")
    # recorded like ingest and retag: a server on the home lists it and keeps the indexes
    # it has loaded until the rebuilt ones are saved
    with (
        recorded_job(settings, "reindex", {"from": "command line"}) as job,
        Store(settings.db_path) as store,
    ):
        index = rebuild_vector_index(
            store, settings.vectors_dir, model_path=settings.resolved_model_path()
        )
        LexicalIndex.build(store).save(settings.home / LEXICAL_DIR)
        job.result = {"passages": index.size, "generation": index.generation}
        job.message = f"indexes rebuilt: {index.size} passages"
    console.print(
        f"vector and BM25 indexes rebuilt: {index.size} passages, "
        f"store generation {index.generation}"
    )


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
    from scrkb.nlp.tagging import tag_jsonl
    from scrkb.nlp.themes import get_tagger

    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror}") from exc
    try:
        if jsonl:
            bad = tag_jsonl(stream, _write_line, batch_size=batch_size, on_bad_line=_skipped)
            if bad:
                raise typer.Exit(1)
        else:
            text = stream.read()
            if not text.strip():
                raise _fail("no text to tag")
            show.print_tags(get_tagger().tag_texts([text])[0])
    finally:
        if stream is not sys.stdin:
            stream.close()


def _write_line(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


def _skipped(lineno: int, reason: str) -> None:
    console.print(f"[yellow]line {lineno} skipped:[/yellow] {escape(reason)}")


@app.command()
def retag(home: HomeOpt = None) -> None:
    """Re-tag every passage and re-extract metadata after a taxonomy or model change."""
    from scrkb.services.jobs import recorded_job
    from scrkb.services.retag import retag_store

    settings = _settings(home)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    with (
        _stage_progress() as progress,
        recorded_job(settings, "retag", {"from": "command line"}) as job,
    ):
        task = progress.add_task("", total=None, stage="retag")
        reembed = _reembed_task(progress)
        result = retag_store(
            settings,
            on_start=lambda n: progress.update(task, total=n),
            on_report=lambda _rid: progress.update(task, advance=1),
            on_reembed=reembed,
        )
        job.result = result
        job.message = f"re-tagged {result['reports']} reports, {len(result['failed'])} failed"
        if result["failed"]:
            job.status = "partial"
    out.print(
        f"re-tagged {result['reports']} reports, {result['passages']} passages: "
        f"{result['tags']} theme tags (tagger {result['tagger']})"
    )
    for failure in result["failed"]:
        out.print(f"  failed: {failure['report_id']}: {escape(failure['message'])}")
    if result["failed"]:
        raise typer.Exit(1)


def _stage_progress() -> Progress:
    """Bars named by stage (retag, re-embed), counting what is finished."""
    return Progress(
        TextColumn("[bold]{task.fields[stage]}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _reembed_task(progress: Progress):  # noqa: ANN202
    """A progress line for re-embedding the store, shown only if one happens."""
    task: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "id" not in task:
            task["id"] = progress.add_task("", total=total, stage="re-embed")
        progress.update(task["id"], completed=done, total=total)

    return update


@app.command()
def reembed(
    form: Annotated[
        str | None,
        typer.Option(
            help="int8 or fp32 (default: SCRKB_EMBEDDING_FORM). fp32 uses a CUDA GPU "
            "when torch sees one."
        ),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Re-embed every stored passage in another embedding form (then rebuild the index)."""
    from scrkb.nlp.embedding import FORMS
    from scrkb.services.reembed import reembed_home

    settings = _settings(home)
    if form is not None and form not in FORMS:
        raise _fail(f"unknown form {form!r}: use one of {', '.join(FORMS)}", 2)
    if not settings.db_path.exists():
        raise _fail(f"no knowledge base in {settings.home}: run `scrkb ingest` first", 3)
    from scrkb.services.jobs import recorded_job

    params = {"form": form, "from": "command line"}
    with _stage_progress() as progress, recorded_job(settings, "reembed", params) as job:
        result = reembed_home(settings, form=form, on_progress=_reembed_task(progress))  # type: ignore[arg-type]
        job.result = result
    count, before, now = result["passages"], result["before"], result["now"]
    if count:
        out.print(f"re-embedded {count} passages: {before} → {now}")
    else:
        out.print(f"nothing to do: the store holds {now or 'no'} embeddings")
    if now and settings.embedding_form and now != settings.embedding_form:
        out.print(
            f"note: SCRKB_EMBEDDING_FORM is {settings.embedding_form}; unset it or set it to "
            f"{now}, or the next ingest re-embeds the store back"
        )


@app.command("export-embedder")
def export_embedder(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Rebuild in a temporary folder and compare with the "
            "checksums recorded in nlp/models/onnx-export.json.",
        ),
    ] = False,
) -> None:
    """Build the ONNX forms (fp32, int8) of the embedding model from the bundled weights."""
    from scrkb.nlp.onnx_export import build, check_build, export_dir

    settings = settings_for(None)
    model_path = settings.resolved_model_path()
    if check:
        ok, message = check_build(model_path)
        out.print(message)
        if not ok:
            raise typer.Exit(1)
        return
    directory = export_dir(model_path, settings.model_cache)
    manifest = build(model_path, directory)
    for form, info in manifest["files"].items():
        out.print(
            f"{form}: {directory / info['file']} ({info['bytes'] / 2**20:.1f} MB, "
            f"sha256 {info['sha256'][:16]}…)"
        )


@app.command("train-tagger")
def train_tagger() -> None:
    """Train the tagger on every labelled passage of every writer (minutes, CPU)."""
    from scrkb.nlp.train import train

    info = train()
    out.print_json(json.dumps(info))


@app.command("eval")
def evaluate_cmd(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    holdout: Annotated[
        list[str] | None,
        typer.Option("--holdout", help="Train once without these writers and score them."),
    ] = None,
    writer: Annotated[
        list[str] | None,
        typer.Option("--writer", help="Leave-one-writer-out over these writers only."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Score the shipped model (or --model) on this labelled JSONL file."
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="With --file: score these tagger weights (a themes.npz, e.g. an earlier "
            "release's) instead of the shipped ones.",
        ),
    ] = None,
    agreement: Annotated[
        bool, typer.Option("--agreement", help="Inter-annotator agreement per theme.")
    ] = False,
) -> None:
    """Tagger P/R/F1 on writers it was not trained on, beside keyword baselines."""
    from scrkb.nlp import evaluate as ev

    if agreement:
        result = ev.agreement()
        if as_json:
            sys.stdout.write(ev.to_json(result) + "\n")
        else:
            out.print(
                f"{result['passages']} passages, {result['adjudicated']} adjudicated; "
                f"micro kappa {result['micro_kappa']:.3f}"
            )
            for theme, row in result["per_theme"].items():
                out.print(
                    f"  {theme:30} kappa {row['kappa']:.3f}  positives {row['positives_final']}"
                )
        return
    if model is not None and file is None:
        raise _fail("--model needs --file: it scores given weights on a labelled file")
    try:
        if file is not None:
            result = ev.evaluate_file(file, model_path=model)
        elif holdout:
            result = ev.holdout(held_out=holdout)
        else:
            result = ev.leave_one_writer_out(writers=writer)
    except ConfigError as exc:
        raise _fail(exc.message) from None
    except OSError as exc:
        raise _fail(f"cannot read {exc.filename}: {exc.strerror}") from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(ev.to_json(result) + "\n")
    else:
        out.print(ev.format_report(result), markup=False, highlight=False)


# --------------------------------------------------------------------------- samples, demo
@samples_app.command("build")
def samples_build(
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the files (default: samples/build).", show_default=False
        ),
    ] = None,
) -> None:
    """Render the fictional sample reviews to real PDF, DOCX, HTML and text files."""
    from scrkb.services.samples import BUILD_DIR, build_samples

    target = out_dir or BUILD_DIR
    try:
        files = build_samples(target)
    except ScrkbError as exc:
        raise _fail(exc.message) from exc
    out.print(f"{len(files)} sample files in {target}")


@app.command()
def demo(
    home: HomeOpt = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build only, then exit.")] = False,
) -> None:
    """Build the sample corpus into its own home (if missing), then serve the app."""
    from scrkb.app import serve
    from scrkb.services.samples import build_demo

    settings = settings_for(home or Path("data") / "demo")
    if not settings.db_path.exists():
        console.print(
            f"Rendering the fictional sample corpus and ingesting it into {settings.home} ..."
        )
    try:
        summary = build_demo(settings)
    except ScrkbError as exc:
        raise _fail(exc.message) from exc
    if summary is not None:
        show.print_ingest_summary(summary)
    if no_serve:
        return
    serve(settings, host=host, port=port)


# --------------------------------------------------------------------------- serve, crawl
@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    home: HomeOpt = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes; each loads the index once.")
    ] = 1,
) -> None:
    """Serve the API (OpenAPI at /docs) and the web pages over a data home."""
    from scrkb import app as server

    settings = _settings(home)
    if settings.is_read_only():
        # Nothing here may write: the snapshot must be complete and its index current.
        from scrkb.index.store import Store
        from scrkb.index.vectors import check_vector_index

        try:
            with Store(settings.db_path, readonly=True) as store:
                check_vector_index(store, settings.vectors_dir)
        except ScrkbError as exc:
            raise _fail(exc.message, _exit_code_for(exc)) from exc
        console.print(f"serving {settings.home} read-only (packs, ingest and crawls are off)")
    elif not settings.db_path.exists():
        console.print(
            f"note: no knowledge base in {settings.home} yet; starting empty "
            "(`scrkb ingest` or POST /api/ingest fills it)"
        )
    server.serve(settings, host=host, port=port, workers=workers)


CRAWL_SOURCES = (
    "nspcc-updates, nspcc-library, govuk-panel, partnerships (all in the registry), "
    "site (one start URL), or all."
)


@app.command()
def crawl(
    source: Annotated[str | None, typer.Argument(help=CRAWL_SOURCES, show_default=False)] = None,
    start_url: Annotated[
        str | None,
        typer.Option("--start-url", help="Start here instead of the source's configured URL."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Store at most N new or changed documents.")
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", help="Skip reviews dated before this year.")
    ] = None,
    no_ingest: Annotated[
        bool, typer.Option("--no-ingest", help="Download only; ingest on a later run.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only check that each source's listing page answers and parses (SOURCE "
            "optional: all, partnerships, a national source or a publisher id).",
        ),
    ] = False,
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Find and fetch published case reviews, politely and incrementally, then ingest them."""
    from scrkb.services.crawl import crawl_and_ingest
    from scrkb.services.jobs import recorded_job

    settings = _settings(home)
    if check:
        _check_sources(settings, source, as_json)
        return
    if source is None:
        raise _fail("name a SOURCE to crawl: " + CRAWL_SOURCES)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def on_crawl(name: str) -> Any:
            counts = {"pages": 0, "found": 0, "new": 0, "changed": 0, "skipped": 0, "failed": 0}
            task = progress.add_task(f"crawl {name}", stats="")

            def on_event(event: dict[str, Any]) -> None:
                if event.get("event") == "page":
                    counts["pages"] += 1
                elif event.get("event") == "item" and event.get("outcome") in counts:
                    counts[event["outcome"]] += 1
                progress.update(task, stats=" · ".join(f"{k} {v}" for k, v in counts.items()))

            return on_event

        done = {"n": 0, "total": 0, "task": None}

        def on_start(total: int) -> None:
            done["total"] = total
            done["task"] = progress.add_task("ingest", stats="")

        def on_file(path: Path, outcome: Any) -> None:
            done["n"] += 1
            progress.update(done["task"], stats=f"{done['n']}/{done['total']} {outcome.status}")

        params = {"source": source, "limit": limit, "from": "command line"}
        try:
            with recorded_job(settings, "crawl", params) as job:
                outcome = crawl_and_ingest(
                    source,
                    settings,
                    start_url=start_url,
                    limit=limit,
                    since=since,
                    ingest=not no_ingest,
                    on_crawl=on_crawl,
                    on_file=on_file,
                    on_start=on_start,
                )
                job.result = outcome.as_job_result(settings)
                if outcome.failed:
                    job.status = "partial"
        except ScrkbError as exc:
            raise _fail(exc.message) from None
    if as_json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        show.print_crawl_outcome(outcome, ingested=not no_ingest)
    if outcome.failed:
        raise typer.Exit(1)


def _check_sources(settings: Any, source: str | None, as_json: bool) -> None:
    from scrkb.services.crawl import check_registry

    try:
        results = check_registry(settings, source)
    except ScrkbError as exc:
        raise _fail(exc.message) from None
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        show.print_source_checks(results)
    if any(r.url and not r.ok for r in results):
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {escape(exc.message)}")
        raise SystemExit(2) from exc
