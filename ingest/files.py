"""Files to ingest: which ones a folder holds, their fingerprint, the report id they get."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from scrkb.reference import READABLE_SUFFIXES


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: named files as given, folders walked recursively for known types."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if not name.startswith(".") and candidate.suffix.lower() in READABLE_SUFFIXES:
                        found.append(candidate)
        else:
            found.append(path)
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def report_id_for(source: str) -> str:
    """Stable per source (path or URL): re-ingesting a changed file replaces the same report."""
    return "r" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:11]
