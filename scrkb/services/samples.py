"""The bundled fictional sample corpus: render it to real files and ingest it (the demo).

The sample reviews and their renderer live in the repository's ``samples/`` folder, not in
the installed package: they are for the demo and the tests. The renderer is loaded from
that folder by path, so nothing is added to ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from scrkb.config import Settings
from scrkb.errors import ConfigError
from scrkb.services.ingest import IngestSummary, ingest_paths

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "samples"
REVIEWS_DIR = SAMPLES_DIR / "reviews"
BUILD_DIR = SAMPLES_DIR / "build"


def renderer() -> ModuleType:
    """``samples/render.py`` of this checkout; ConfigError when scrkb runs from a wheel."""
    path = SAMPLES_DIR / "render.py"
    if not path.is_file() or not REVIEWS_DIR.is_dir():
        raise ConfigError(
            f"the sample corpus is not available ({path} is missing); run from a scrkb checkout"
        )
    spec = importlib.util.spec_from_file_location("scrkb_samples_render", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def build_samples(out_dir: Path = BUILD_DIR) -> list[Path]:
    """Render the fictional sample reviews to PDF, DOCX, HTML and text files."""
    return renderer().build_samples(REVIEWS_DIR, out_dir)


def build_demo(settings: Settings) -> IngestSummary | None:
    """Render and ingest the sample corpus into ``settings.home`` unless it is built."""
    if settings.db_path.exists():
        return None
    build_samples(BUILD_DIR)
    return ingest_paths([BUILD_DIR], settings)
