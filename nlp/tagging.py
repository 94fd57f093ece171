"""The JSON-lines tagging protocol of ``scrkb tag --jsonl``.

Each input line is ``{"id", "text"}``; each output line is ``{"id", "themes": [{"id",
"confidence", "evidence", "start", "end"}]}`` in input order. A line that is not such an
object is answered with ``{"id": null, "line": N, "error": "..."}`` and the rest carry on.
Passages are tagged in batches, on every core.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from scrkb.models import ThemeTag


def theme_record(tag: ThemeTag) -> dict[str, Any]:
    return {
        "id": tag.theme_id,
        "confidence": tag.confidence,
        "evidence": tag.evidence,
        "start": tag.start,
        "end": tag.end,
    }


def tag_jsonl(
    lines: Iterable[str],
    write: Callable[[str], None],
    *,
    batch_size: int = 512,
    on_bad_line: Callable[[int, str], None] | None = None,
) -> int:
    """Tag every ``{"id", "text"}`` line, writing one JSON line each; returns the bad lines."""
    from scrkb.nlp.themes import get_tagger

    tagger = get_tagger()
    bad = 0
    pending: list[tuple[object, str]] = []

    def flush() -> None:
        if not pending:
            return
        results = tagger.tag_texts([t for _, t in pending], processes=os.cpu_count() or 1)
        for (pid, _), tags in zip(pending, results, strict=True):
            write(json.dumps({"id": pid, "themes": [theme_record(t) for t in tags]}) + "\n")
        pending.clear()

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pid, text = record["id"], record["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            bad += 1
            if on_bad_line:
                on_bad_line(lineno, str(exc))
            write(json.dumps({"id": None, "line": lineno, "error": str(exc)}) + "\n")
            continue
        pending.append((pid, text))
        if len(pending) >= batch_size:
            flush()
    flush()
    return bad
