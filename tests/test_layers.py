"""Data flows one way: every import in the package points down the layers, or sideways.

    0  scrkb/models.py, config.py, errors.py, reference.py   one model, settings, errors, vocabularies
    1  ingest/            fetch (crawl) and extract
    2  nlp/               clean, structure, passages, embedding, themes, metadata
    3  index/             store, vectors, search, catalog queries, user-data tables
    4  scrkb/services/    use cases: ingest, crawl, jobs, retag, precedent, packs, exports
    5  api/  |  web/      siblings: neither imports the other
    6  scrkb/cli.py, console.py, app.py   the command line, and the app that joins api and web

A module may import its own layer or lower ones. Every import is checked, at module level
and inside functions (``ast.walk`` sees them all, ``importlib.import_module("...")`` too),
with no list of exceptions. ``api/`` and ``web/`` also never import the heavy libraries:
they reach models and search through the layers below, which load them lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[str, ...]] = [
    ("scrkb.models", "scrkb.config", "scrkb.errors", "scrkb.reference", "scrkb"),
    ("scrkb.ingest",),
    ("scrkb.nlp",),
    ("scrkb.index",),
    ("scrkb.services",),
    ("scrkb.api", "scrkb.web"),
    ("scrkb.cli", "scrkb.console", "scrkb.app"),
]
SIBLINGS = {"scrkb.api": "scrkb.web", "scrkb.web": "scrkb.api"}
HEAVY = ("spacy", "faiss", "torch", "sentence_transformers", "sklearn", "scrapy", "twisted")


def package_dirs() -> dict[str, Path]:
    """Import package -> folder, as pyproject.toml maps them (``scrkb.nlp`` -> ``nlp/``)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {
        pkg: ROOT / folder for pkg, folder in config["tool"]["setuptools"]["package-dir"].items()
    }


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    out: dict[str, Path] = {}
    for pkg, folder in package_dirs().items():
        for path in sorted(folder.rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([pkg, *parts])] = path
    return out


def layer_of(module: str) -> tuple[int, str] | None:
    """(layer, the name that placed it there) for a scrkb module, longest name first."""
    best: tuple[int, str] | None = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            inside = module.startswith(name + ".") and name != "scrkb"  # the root: itself only
            if (module == name or inside) and (best is None or len(name) > len(best[1])):
                best = (rank, name)
    return best


def imports(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the source, wherever it is written."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # "from scrkb.web import routes" imports the module scrkb.web.routes
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """Every import in ``source`` that points up the layers, across the siblings, or (in
    api/ and web/) at a heavy library."""
    own = layer_of(module)
    if own is None:
        return [f"{module}: not in any layer (add it to LAYERS and the docs)"]
    rank, name = own
    out: list[str] = []
    known = modules()
    for line, target in imports(source, module, is_package=is_package):
        top = target.split(".")[0]
        if name in SIBLINGS and top in HEAVY:
            out.append(f"{module}:{line} imports {target} (api/ and web/ stay light)")
        if top != "scrkb":
            continue
        if target not in known and target.rpartition(".")[0] in known:
            target = target.rpartition(".")[0]  # "from scrkb.x import name": the module is x
        theirs = layer_of(target)
        if theirs is None:
            continue  # the bare "scrkb" package is layer 0
        if theirs[0] > rank:
            out.append(
                f"{module}:{line} imports {target} (layer {theirs[0]} {theirs[1]}) "
                f"from layer {rank} {name}"
            )
        if SIBLINGS.get(name) == theirs[1]:
            out.append(f"{module}:{line} imports its sibling {target}")
    return out


def test_layers_every_module_has_a_layer() -> None:
    found = modules()
    assert len(found) > 60, sorted(found)
    assert [m for m in found if layer_of(m) is None] == []


def test_layers_imports_point_down_or_sideways() -> None:
    problems: list[str] = []
    checked = 0
    for module, path in modules().items():
        problems += violations(module, path.read_text(), is_package=path.name == "__init__.py")
        checked += 1
    assert checked > 60
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("scrkb.index.search", "def f():\n    from scrkb.services.jobs import Jobs\n", "layer 4"),
        ("scrkb.nlp.themes", "from scrkb.index import vectors\n", "layer 3"),
        ("scrkb.ingest.extract", "import scrkb.nlp.clean\n", "layer 2"),
        ("scrkb.api.app", "from scrkb.web.app import mount\n", "sibling"),
        ("scrkb.web.routes.search", "from scrkb.api import schemas\n", "sibling"),
        ("scrkb.web.render", "import spacy\n", "stay light"),
        ("scrkb.api.deps", "def f():\n    import faiss\n", "stay light"),
        (
            "scrkb.services.jobs",
            "import importlib\nimportlib.import_module('scrkb.cli')\n",
            "layer 6",
        ),
        ("scrkb.models", "from scrkb.ingest.extract import extract\n", "layer 1"),
        ("scrkb.nlp.structure.lines", "from ..embedding import x\n", None),
        ("scrkb.nlp.structure.lines", "from ...index import store\n", "layer 3"),
    ],
)
def test_layers_checker_catches_upward_imports(
    module: str, source: str, expected: str | None
) -> None:
    found = violations(module, source)
    if expected is None:
        assert found == []
    else:
        assert found and expected in found[0], found


def test_layers_api_and_web_load_no_heavy_library() -> None:
    """Importing the app (API and web pages) loads none of the heavy libraries."""
    code = (
        "import sys, scrkb.api.app, scrkb.web.app, scrkb.app; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def sql_calls(source: str) -> list[int]:
    """Lines that run SQL: ``.execute(``, ``.executemany(``, ``.executescript(``, ``.transaction(``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "executescript", "transaction")
    ]


def test_layers_sql_stays_in_the_store_layer() -> None:
    """Above index/ nothing runs SQL: services, routes and pages ask index/ functions."""
    above = [
        (module, path)
        for module, path in modules().items()
        if (layer := layer_of(module)) is not None and layer[0] >= 4
    ]
    assert len(above) > 30
    found = [f"{m}:{line}" for m, path in above for line in sql_calls(path.read_text())]
    assert found == []
    assert sql_calls("def f(store):\n    return store.execute('SELECT 1')\n") == [2]
