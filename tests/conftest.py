"""Shared fixtures: one data home built from the bundled sample corpus, per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory):
    """The fictional sample corpus rendered to PDF/DOCX/HTML/text and ingested for real."""
    from samples.render import build_samples
    from scrkb.config import Settings
    from scrkb.services.ingest import ingest_paths

    base = tmp_path_factory.mktemp("sample-corpus")
    files = build_samples(ROOT / "samples" / "reviews", base / "build")
    settings = Settings(home=base / "home")
    summary = ingest_paths(files, settings)
    assert not summary.failures, [f.message for f in summary.failures]
    return settings


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory):
    """The hostile files of ``tests/hostile.py``, generated once per session."""
    from tests.hostile import build_corpus

    return build_corpus(tmp_path_factory.mktemp("hostile"))
