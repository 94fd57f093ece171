"""Shared fixtures: one data home built from the bundled sample corpus, per test session."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """The fictional sample corpus rendered to PDF/DOCX/HTML/text and ingested for real, on
    the parallel path (a batch this size gets worker processes): the settings, the files,
    the summary and the files in the order ``on_file`` reported them."""
    from samples.render import build_samples
    from scrkb.config import Settings
    from scrkb.services.ingest import ingest_paths

    base = tmp_path_factory.mktemp("sample-corpus")
    files = build_samples(ROOT / "samples" / "reviews", base / "build")
    settings = Settings(home=base / "home")
    reported: list[Path] = []
    summary = ingest_paths(files, settings, on_file=lambda path, _outcome: reported.append(path))
    assert not summary.failures, [f.message for f in summary.failures]
    return SimpleNamespace(settings=settings, files=files, summary=summary, reported=reported)


@pytest.fixture(scope="session")
def sample_home(sample_corpus):
    return sample_corpus.settings


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory):
    """The hostile files of ``tests/hostile.py``, generated once per session."""
    from tests.hostile import build_corpus

    return build_corpus(tmp_path_factory.mktemp("hostile"))
