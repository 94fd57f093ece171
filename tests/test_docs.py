"""The docs stay true: every theme, CLI command and API route appears in them."""

from __future__ import annotations

from pathlib import Path

from scrkb.nlp.taxonomy import default_taxonomy, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_docs_themes_page_is_generated_from_the_taxonomy():
    assert (ROOT / "docs" / "themes.md").read_text() == render_markdown(default_taxonomy()), (
        "docs/themes.md is stale: regenerate it with render_markdown(default_taxonomy())"
    )


def test_docs_readme_lists_every_cli_command():
    import typer.main

    from scrkb.cli import app

    readme = (ROOT / "README.md").read_text()
    group = typer.main.get_command(app)
    for name in group.commands:  # type: ignore[attr-defined]
        assert f"scrkb {name}" in readme, f"README does not mention `scrkb {name}`"


def test_docs_api_page_lists_every_route():
    from scrkb.api.app import create_app
    from scrkb.config import Settings

    api_doc = (ROOT / "docs" / "api.md").read_text()
    app = create_app(Settings(home=ROOT / "data" / "does-not-exist"))
    paths = {r.path for r in app.routes if getattr(r, "path", "").startswith("/api")}
    missing = sorted(p for p in paths if p not in api_doc)
    assert missing == []
