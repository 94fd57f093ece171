"""The wheel carries everything the package reads: it installs into a fresh venv and tags.

The wheel is built from this checkout (no build isolation: nothing is downloaded) and
installed with ``--no-deps`` into a new virtual environment that sees this project's
installed dependencies through a path file. The installed ``scrkb tag --jsonl`` then
tags a passage with the taxonomy and trained weights from the wheel, not the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

SHIPPED = [
    "scrkb/nlp/models/themes.npz",
    "scrkb/nlp/models/onnx-export.json",
    "scrkb/nlp/taxonomy.yaml",
    "scrkb/ingest/sources.yaml",
    "scrkb/index/glossary.yaml",
    "scrkb/web/templates/base.html",
    "scrkb/web/templates/search.html",
    "scrkb/web/static/scrkb.css",
    "scrkb/web/static/scrkb.js",
    "scrkb/web/static/favicon.svg",
]


# Left out of the copy the wheel is built from: environments, outputs, and an earlier
# build/ whose stale files setuptools would otherwise pack again.
NOT_SOURCE = (".git", ".venv", "node_modules", "data", "build", "dist", "*.egg-info",
              "test-artifacts", "__pycache__", ".pytest_cache", ".ruff_cache")  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source, out = base / "src", base / "dist"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", str(out), str(source)],
        check=True, cwd=base, env={**os.environ, "PIP_NO_INPUT": "1"},
    )  # fmt: skip
    wheels = list(out.glob("scrkb-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_packaging_wheel_ships_data_files_and_weights(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [n for n in SHIPPED if n not in names] == []
    # every data file of the checkout's package folders is in the wheel
    data = [
        f"scrkb/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
        for folder in ("nlp", "ingest", "web")
        for p in (ROOT / folder).rglob("*")
        if p.is_file()
        and p.suffix in {".yaml", ".npz", ".cfg", ".html", ".css", ".js", ".svg"}
        and "node_modules" not in p.parts
        and not p.name.startswith(".")
    ]
    assert data and [n for n in data if n not in names] == []
    modules = [n for n in names if n.endswith(".py")]
    assert "scrkb/services/ingest.py" in modules and "scrkb/nlp/structure/headings.py" in modules


def test_packaging_installed_wheel_tags_a_passage(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The project's dependencies, visible but after the venv's own site-packages (a path
    # file adds folders without running their .pth files, so the checkout's editable
    # install stays out).
    deps = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    (Path(purelib) / "project-deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    where = subprocess.run(
        [python, "-c", "import scrkb.nlp.themes as t; print(t.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(purelib), where

    passage = (
        "The health visitor saw the bruise on the baby's ear but accepted the mother's "
        "explanation that he had rolled against the cot, and no referral was made."
    )
    result = subprocess.run(
        [env_dir / "bin" / "scrkb", "tag", "--jsonl"],
        input=json.dumps({"id": "p1", "text": passage}) + "\n",
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(result.stdout.splitlines()[0])
    assert record["id"] == "p1" and record["themes"], record
    from scrkb.nlp.taxonomy import default_taxonomy

    assert {t["id"] for t in record["themes"]} <= set(default_taxonomy().ids)
