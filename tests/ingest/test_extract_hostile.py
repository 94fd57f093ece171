"""Hostile files (tests/hostile.py) are refused by extraction, quickly, each with a
clear one-line reason, before a parser is handed the costly part."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scrkb.errors import ExtractionError
from scrkb.ingest.extract import extract
from tests.hostile import HOSTILE, Hostile

SECONDS = 30  # each refusal, on a slow shared machine; most take well under one


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_extract_hostile_file_is_refused(hostile_corpus: dict[str, Path], hostile: Hostile) -> None:
    path = hostile_corpus[hostile.name]
    started = time.perf_counter()
    with pytest.raises(ExtractionError) as err:
        extract(path)
    assert time.perf_counter() - started < SECONDS
    assert err.value.reason == hostile.reason, err.value.message
    assert hostile.says in err.value.message
    assert err.value.message.startswith(hostile.name)
    assert "\n" not in err.value.message
