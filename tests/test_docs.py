"""The docs stay true: every theme, setting, CLI command and API operation appears in them.

Each check is a function that returns what is missing, so the last test can show that
each one fails when the docs lack something (a check that cannot fail documents nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scrkb.config import Settings
from scrkb.config import render_markdown as settings_markdown
from scrkb.nlp.taxonomy import default_taxonomy, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def api_operations() -> set[str]:
    """Every documented operation of the app, as "METHOD /path", from its OpenAPI schema."""
    from scrkb.app import create_app

    app = create_app(Settings(home=ROOT / "data" / "does-not-exist"), warm=False)
    return {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def cli_commands() -> set[str]:
    """Every command line, nested groups included ("scrkb samples build")."""
    import typer.main

    from scrkb.cli import app

    found: set[str] = set()

    def walk(group: object, prefix: str) -> None:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                walk(command, f"{prefix} {name}")
            else:
                found.add(f"{prefix} {name}")

    walk(typer.main.get_command(app), "scrkb")
    return found


def setting_variables() -> set[str]:
    return {f"SCRKB_{name.upper()}" for name in Settings.model_fields}


def missing(items: set[str], text: str) -> list[str]:
    return sorted(item for item in items if item not in text)


def test_docs_themes_page_is_generated_from_the_taxonomy():
    assert (ROOT / "docs" / "themes.md").read_text() == render_markdown(default_taxonomy()), (
        "docs/themes.md is stale: regenerate it with render_markdown(default_taxonomy())"
    )


def test_docs_settings_page_is_generated_from_the_settings():
    assert (ROOT / "docs" / "settings.md").read_text() == settings_markdown(), (
        "docs/settings.md is stale: regenerate it with scrkb.config.render_markdown()"
    )


def test_docs_settings_page_lists_every_setting():
    variables = setting_variables()
    assert len(variables) >= 25
    assert missing(variables, (ROOT / "docs" / "settings.md").read_text()) == []


def test_docs_readme_lists_every_cli_command():
    commands = cli_commands()
    assert {
        "scrkb ingest",
        "scrkb search",
        "scrkb crawl",
        "scrkb serve",
        "scrkb samples build",
    } <= commands
    assert missing(commands, (ROOT / "README.md").read_text()) == []


def test_docs_api_page_lists_every_operation():
    operations = api_operations()
    assert len(operations) >= 20, operations  # the schema, not an empty route list
    assert {"GET /api/search", "POST /api/precedent", "GET /healthz"} <= operations
    assert missing(operations, (ROOT / "docs" / "api.md").read_text()) == []


@pytest.mark.parametrize(
    "found", [api_operations, cli_commands, setting_variables], ids=["api", "cli", "settings"]
)
def test_docs_checks_fail_when_the_docs_say_nothing(found):
    items = found()
    assert items and missing(items, "") == sorted(items)
