"""``scrkb serve``: run the API (and the web pages, when installed) with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scrkb.config import settings_for


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Data home (default: $SCRKB_HOME or ./data).", show_default=False
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes; each loads the index once.")
    ] = 1,
) -> None:
    """Serve the API (OpenAPI at /docs) over a data home."""
    from scrkb.api.app import serve

    settings = settings_for(home)
    if not settings.db_path.exists():
        typer.echo(
            f"note: no knowledge base in {settings.home} yet; starting empty "
            "(`scrkb ingest` or POST /api/ingest fills it)",
            err=True,
        )
    serve(settings, host=host, port=port, workers=workers)
