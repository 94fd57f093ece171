"""What two data homes store for the same files, compared: is the content the same?

For checking a pipeline change ("results identical in content to today's pipeline except
where the embedding form changed by choice"): ingest the same files into two homes (say,
with `main` and with this branch, or with each embedding form) and compare. Reports are
matched by their file's SHA-256. Compared: report fields (title, metadata, status, page
count, text), passages (text, headings, pages, offsets), recommendations (text, number,
addressee, page), tags (theme, evidence span, stage; confidence to 1e-4), recommendation
tags, and the vectors (largest absolute difference, where both stores hold the same form).

    .venv/bin/python bench/compare_stores.py HOME_A HOME_B [--json]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import numpy as np

REPORT = ("title, format, page_count, status, status_reason, review_type, nation, partnership, "
          "year, child_code, age_band, outcome, metadata_json, text")  # fmt: skip
PASSAGE = ("ordinal, text, heading, heading_path_json, section_kind, page_start, page_end, "
           "char_start, char_end")  # fmt: skip


def load(home: Path) -> dict:
    db = sqlite3.connect(f"file:{home / 'scrkb.sqlite'}?mode=ro", uri=True)
    form = db.execute("SELECT value FROM meta WHERE key = 'embedding_form'").fetchone()
    # a store from before the form was recorded holds torch's vectors: fp32
    out: dict = {"form": form[0] if form else "fp32", "reports": {}}
    for sha, rid, *fields in db.execute(f"SELECT sha256, id, {REPORT} FROM reports"):
        passages, tags, vectors = [], [], []
        for rowid, blob, *p in db.execute(
            f"SELECT rowid, embedding, {PASSAGE} FROM passages WHERE report_id = ? "
            "ORDER BY ordinal", (rid,)
        ):  # fmt: skip
            passages.append(tuple(p))
            vectors.append(np.frombuffer(blob, dtype=np.float32) if blob else None)
            tags.append({
                theme: (evidence, start, end, stage, confidence)
                for theme, evidence, start, end, stage, confidence in db.execute(
                    "SELECT theme_id, evidence, start, end, stage, confidence "
                    "FROM passage_themes WHERE passage_rowid = ?", (rowid,)
                )
            })  # fmt: skip
        recs = [tuple(r) for r in db.execute(
            "SELECT ordinal, number, text, addressee, page, themes_json FROM recommendations "
            "WHERE report_id = ? ORDER BY ordinal", (rid,)
        )]  # fmt: skip
        out["reports"][sha] = {"fields": tuple(fields), "passages": passages, "tags": tags,
                               "vectors": vectors, "recommendations": recs}  # fmt: skip
    return out


def _rec_themes(themes_json: str) -> set[str]:
    return {t["theme_id"] if isinstance(t, dict) else str(t) for t in json.loads(themes_json)}


def compare(a: dict, b: dict) -> dict:
    shared = sorted(set(a["reports"]) & set(b["reports"]))
    result = {
        "forms": [a["form"], b["form"]],
        "reports": [len(a["reports"]), len(b["reports"])],
        "reports_in_both": len(shared),
        "reports_with_other_fields": 0,
        "passages": 0,
        "passages_with_other_text_or_place": 0,
        "tags": [0, 0],
        "passages_whose_theme_set_differs": 0,
        "tags_with_other_evidence_or_stage": 0,
        "largest_confidence_difference": 0.0,
        "recommendations": 0,
        "recommendations_with_other_text": 0,
        "recommendations_whose_theme_set_differs": 0,
        "largest_vector_difference": None,
    }
    worst = 0.0
    for sha in shared:
        ra, rb = a["reports"][sha], b["reports"][sha]
        result["reports_with_other_fields"] += ra["fields"] != rb["fields"]
        result["passages"] += len(ra["passages"])
        if ra["passages"] != rb["passages"]:
            result["passages_with_other_text_or_place"] += sum(
                x != y for x, y in zip(ra["passages"], rb["passages"], strict=False)
            ) + abs(len(ra["passages"]) - len(rb["passages"]))
            continue
        for ta, tb in zip(ra["tags"], rb["tags"], strict=True):
            result["tags"][0] += len(ta)
            result["tags"][1] += len(tb)
            result["passages_whose_theme_set_differs"] += set(ta) != set(tb)
            for theme in set(ta) & set(tb):
                result["tags_with_other_evidence_or_stage"] += ta[theme][:4] != tb[theme][:4]
                result["largest_confidence_difference"] = max(
                    result["largest_confidence_difference"], abs(ta[theme][4] - tb[theme][4])
                )
        if a["form"] == b["form"]:
            for va, vb in zip(ra["vectors"], rb["vectors"], strict=True):
                if va is not None and vb is not None:
                    worst = max(worst, float(np.max(np.abs(va - vb))))
        result["recommendations"] += len(ra["recommendations"])
        for x, y in zip(ra["recommendations"], rb["recommendations"], strict=False):
            result["recommendations_with_other_text"] += x[:5] != y[:5]
            result["recommendations_whose_theme_set_differs"] += _rec_themes(x[5]) != _rec_themes(
                y[5]
            )
    if a["form"] == b["form"]:
        result["largest_vector_difference"] = worst
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home_a", type=Path)
    parser.add_argument("home_b", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = compare(load(args.home_a), load(args.home_b))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
