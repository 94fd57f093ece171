"""``scrkb crawl``: fetch published case reviews and ingest them.

Heavy imports (Scrapy, the ingest pipeline) stay inside the function so ``scrkb --help``
stays fast; the crawl itself runs in a child process (see ``runner``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

SOURCE_HELP = (
    "nspcc-updates, nspcc-library, govuk-panel, partnerships (all in the registry), "
    "site (one start URL), or all."
)


def crawl(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
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
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Data home (default: $SCRKB_HOME or ./data).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Find and fetch published case reviews, politely and incrementally, then ingest them."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scrkb.config import settings_for
    from scrkb.errors import ScrkbError
    from scrkb.ingest.crawl.runner import ALL_SOURCES, ingest_crawled
    from scrkb.ingest.crawl.runner import crawl as run_crawl

    console = Console(stderr=True)
    settings = settings_for(home)
    sources = list(ALL_SOURCES) if source == "all" else [source]
    if source == "all" and start_url:
        console.print("[red]error:[/red] --start-url names one source, not all")
        raise typer.Exit(2)
    summaries = []
    counts: dict[str, int] = {}
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            for name in sources:
                counts = {"pages": 0, "found": 0, "new": 0, "changed": 0, "skipped": 0, "failed": 0}
                task = progress.add_task(f"crawl {name}", stats="")

                def on_event(
                    event: dict[str, Any], task: Any = task, counts: dict[str, int] = counts
                ) -> None:
                    if event.get("event") == "page":
                        counts["pages"] += 1
                    elif event.get("event") == "item" and event.get("outcome") in counts:
                        counts[event["outcome"]] += 1
                    progress.update(task, stats=" · ".join(f"{k} {v}" for k, v in counts.items()))

                summaries.append(
                    run_crawl(
                        name,
                        settings,
                        start_url=start_url,
                        limit=limit,
                        since=since,
                        on_event=on_event,
                    )
                )
            ingest_summary = None
            if not no_ingest:
                task = progress.add_task("ingest", stats="")
                done = {"n": 0, "total": 0}

                def on_start(total: int) -> None:
                    done["total"] = total

                def on_file(path: Path, outcome: Any) -> None:
                    done["n"] += 1
                    progress.update(task, stats=f"{done['n']}/{done['total']} {outcome.status}")

                ingest_summary = ingest_crawled(settings, on_file=on_file, on_start=on_start)
    except ScrkbError as exc:
        console.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(2) from None

    failed = sum(sum(s.failed.values()) for s in summaries)
    ingest_failed = len(ingest_summary.failures) if ingest_summary else 0
    if as_json:
        print(
            json.dumps(
                {
                    "crawls": [s.as_dict() for s in summaries],
                    "ingest": ingest_summary.as_dict() if ingest_summary else None,
                },
                indent=2,
            )
        )
    else:
        out = Console(highlight=False)
        table = Table(title="crawl summary")
        for col in ("source", "found", "new", "changed", "gone", "skipped (why)", "failed (why)"):
            table.add_column(col)
        for s in summaries:
            table.add_row(
                s.source,
                str(s.found),
                str(s.new),
                str(s.changed),
                str(s.gone),
                _reasons(s.skipped),
                _reasons(s.failed),
            )
        out.print(table)
        if ingest_summary is not None:
            d = ingest_summary.as_dict()
            out.print(
                f"ingested: {d['added']} added, {d['replaced']} replaced, {d['unchanged']} unchanged, "
                f"{d['duplicates']} duplicates, {d['no_text']} without text, {d['failed']} failed"
            )
            for o in ingest_summary.failures:
                out.print(f"  [red]failed[/red] {escape(o.path)}: {escape(o.message or '')}")
        elif no_ingest:
            out.print("not ingested (--no-ingest): the next `scrkb crawl` ingests them")
    if failed or ingest_failed:
        raise typer.Exit(1)


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())) or "-"
