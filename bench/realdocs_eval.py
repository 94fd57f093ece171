"""Real-layout evaluation on held-out documents: metadata, clean passages, recovery, search.

Held-out documents are YAML files written by someone else, kept outside this repository
(format: ``docs/realdocs-eval.md``): a title page as it is broken over lines, sections of
fictional text, the layout it is published in (PDF in one or two columns, a scan,
a partnership web page, a document-sharing site's copy, legacy .doc, .docx), with the
running headers, footers and markings, and the truth of every metadata field the document
states. Each document is rendered twice: in its messy published layout (through the same
layout builders as ``tests/layouts.py``) and as clean text. Reported:

- % of stated metadata fields right (review type, nation, partnership, year, child's
  name-code, age band, outcome), on the messy rendering;
- % of passages dirty (page furniture or markers, contents entries, under 8 words);
- % of body paragraphs recovered (at least 97% of a paragraph's words in one passage);
- search nDCG@10 of the documents' own queries over the messy and the clean renderings,
  each ingested with the full pipeline into its own data home.

    .venv/bin/python bench/realdocs_eval.py HELD_OUT_DIR [--json OUT] [--no-search]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrkb.ingest.extract import extract  # noqa: E402
from scrkb.ingest.ocr import OcrOptions  # noqa: E402
from scrkb.models import SearchQuery  # noqa: E402
from scrkb.nlp.metadata import extract_metadata  # noqa: E402
from scrkb.nlp.passages import split_passages  # noqa: E402
from scrkb.nlp.structure import structure  # noqa: E402
from scrkb.reference import same_publisher  # noqa: E402
from tests import layouts  # noqa: E402
from tests.legacy_doc import write_doc  # noqa: E402

FIELDS = ("review_type", "nation", "partnership", "year", "child_code", "age_band", "outcome")
_WORD = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- rendering
def render_messy(doc: dict, folder: Path) -> Path:
    lay = doc["layout"]
    fmt = lay["format"]
    name = doc["id"]
    cover = [(t, 20 if i < 2 else 14, i < 2) for i, t in enumerate(doc["title_page"])]
    sections = [layouts.Section(s["heading"], list(s["paragraphs"])) for s in doc["sections"]]
    rows = [tuple(r) for r in doc.get("chronology") or []]
    if fmt in ("pdf", "scanned"):
        path = folder / f"{name}.pdf"
        layouts.report_pdf(
            path,
            cover=cover,
            sections=sections,
            furniture=layouts.Furniture(lay.get("header"), lay.get("footer"), lay.get("marking")),
            contents=None if lay.get("contents") in (None, "none") else lay["contents"],
            columns=int(lay.get("columns") or 1),
            hyphenate=_hyphenation(doc) if lay.get("hyphenate") else None,
            chronology=rows or False,
        )
        if fmt == "scanned":
            layouts.image_only(path.read_bytes(), path, dpi=200)
        return path
    if rows:
        # A chronology is a table in Word, rows of text elsewhere (as web copies show it).
        as_lines = [f"{d} {event} ({agency})" for d, event, agency in rows]
        if fmt in ("html-partnership", "html-sharing", "doc"):
            sections.append(layouts.Section("Appendix: chronology of key events", as_lines))
    if fmt == "html-partnership":
        path = folder / f"{name}.html"
        layouts.partnership_page(
            path,
            site=doc.get("site") or "Safeguarding Partnership",
            title=" ".join(doc["title_page"][:1]),
            intro=doc["title_page"][1:],
            sections=sections,
        )
        return path
    if fmt == "html-sharing":
        path = folder / f"{name}.html"
        pages = [list(doc["title_page"])]
        for s in sections:
            lines = [s.heading]
            for p in s.paragraphs:
                lines += layouts.wrap(p, 430, "Helvetica", 11)
            pages.append(lines)
        layouts.sharing_site_page(
            path,
            title=" ".join(doc["title_page"][:3]),
            posted=doc.get("posted", "01-Jan-2020"),
            pages=pages,
        )
        return path
    if fmt == "doc":
        paras = list(doc["title_page"])
        for s in sections:
            paras += [s.heading, *s.paragraphs]
        return write_doc(folder / f"{name}.doc", paras)
    if fmt == "docx":
        from docx import Document

        d = Document()
        for t in doc["title_page"]:
            d.add_paragraph(t)
        for s in sections:
            d.add_heading(s.heading, level=1)
            for p in s.paragraphs:
                d.add_paragraph(p)
        if rows:
            d.add_heading("Appendix: chronology of key events", level=1)
            table = d.add_table(rows=0, cols=3)
            for row in [("Date", "Event", "Agency"), *rows]:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = str(value)
        path = folder / f"{name}.docx"
        d.save(str(path))
        return path
    raise ValueError(f"{name}: unknown format {fmt!r}")


def render_clean(doc: dict, folder: Path) -> Path:
    """The same content as plain Markdown: the title, headings and paragraphs, nothing else."""
    lines = [f"# {' '.join(doc['title_page'])}", ""]
    for s in doc["sections"]:
        lines += [f"## {s['heading']}", ""]
        for p in s["paragraphs"]:
            lines += [p, ""]
    path = folder / f"{doc['id']}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _hyphenation(doc: dict) -> dict[str, int]:
    words = Counter(
        w.strip(".,;:()\"'").lower()
        for s in doc["sections"]
        for p in s["paragraphs"]
        for w in p.split()
    )
    return {w: len(w) // 2 for w in words if len(w) >= 9 and w.isalpha()}


# --------------------------------------------------------------------------- scoring
def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def contains(passage: str, paragraph: str, share: float = 0.97) -> bool:
    want = Counter(words(paragraph))
    have = Counter(words(passage))
    total = sum(want.values())
    got = sum(min(n, have[w]) for w, n in want.items())
    return total > 0 and got / total >= share


def field_right(field: str, expected: object, got: object) -> bool:
    if field == "partnership":
        return same_publisher(str(expected), str(got) if got else None)
    return expected == got


def evaluate_document(doc: dict, path: Path) -> dict:
    extracted = extract(path, ocr=OcrOptions(dpi=300))
    structured = structure(extracted)
    passages = split_passages(structured, doc["id"])
    meta = extract_metadata(extracted, structured)
    truth = doc.get("truth") or {}
    fields = {
        f: {
            "expected": truth[f],
            "got": getattr(meta, f),
            "right": field_right(f, truth[f], getattr(meta, f)),
        }
        for f in FIELDS
        if f in truth
    }
    lay = doc["layout"]
    furniture = [s for s in (lay.get("header"), lay.get("marking")) if s]
    if lay.get("footer"):
        head = lay["footer"].split("{")[0].strip()
        if len(head) > 4:
            furniture.append(head)
    sections = Counter(tuple(p.heading_path) for p in passages)
    dirty = []
    for p in passages:
        reasons = layouts.dirty_reasons(
            p.text, furniture, alone=sections[tuple(p.heading_path)] == 1
        )
        if reasons:
            dirty.append({"text": p.text[:120], "reasons": reasons})
    paragraphs = [p for s in doc["sections"] for p in s["paragraphs"]]
    paragraphs += [r[1] for r in doc.get("chronology") or []]
    missing = [p[:80] for p in paragraphs if not any(contains(x.text, p) for x in passages)]
    return {
        "id": doc["id"],
        "format": lay["format"],
        "fields": fields,
        "passages": len(passages),
        "dirty": dirty,
        "paragraphs": len(paragraphs),
        "missing": missing,
        "ocr_pages": extracted.ocr_pages,
    }


def ndcg_at_10(home: Path, docs: list[dict]) -> float:
    from scrkb.config import settings_for
    from scrkb.index.search import Searcher

    searcher = Searcher(settings_for(home))
    scores = []
    for doc in docs:
        for q in doc.get("queries") or []:
            target = doc["sections"][q["section"]]["paragraphs"][q["paragraph"]]
            hits = searcher.search(SearchQuery(text=q["query"], k=10)).hits
            gains = [1.0 if contains(h.text, target, 0.5) else 0.0 for h in hits]
            dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
            scores.append(min(1.0, dcg))  # one relevant passage: ideal DCG is 1
    return sum(scores) / len(scores) if scores else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of held-out YAML documents")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--no-search", action="store_true", help="skip the nDCG@10 comparison")
    parser.add_argument("--keep", type=Path, help="keep the rendered files in this folder")
    args = parser.parse_args()
    docs = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(args.folder.glob("*.yaml"))]
    work = Path(tempfile.mkdtemp(prefix="realdocs-"))
    messy_dir, clean_dir = work / "messy", work / "clean"
    messy_dir.mkdir()
    clean_dir.mkdir()
    results = []
    for doc in docs:
        messy = render_messy(doc, messy_dir)
        render_clean(doc, clean_dir)
        results.append(evaluate_document(doc, messy))
    stated = [f for r in results for f in r["fields"].values()]
    right = sum(f["right"] for f in stated)
    passages = sum(r["passages"] for r in results)
    dirty = sum(len(r["dirty"]) for r in results)
    paragraphs = sum(r["paragraphs"] for r in results)
    missing = sum(len(r["missing"]) for r in results)
    summary = {
        "documents": len(docs),
        "formats": dict(Counter(r["format"] for r in results)),
        "metadata_fields_stated": len(stated),
        "metadata_right_pct": round(100 * right / max(1, len(stated)), 1),
        "by_field": {
            f: f"{sum(r['fields'][f]['right'] for r in results if f in r['fields'])}/"
            f"{sum(1 for r in results if f in r['fields'])}"
            for f in FIELDS
        },
        "passages": passages,
        "dirty_pct": round(100 * dirty / max(1, passages), 1),
        "paragraphs": paragraphs,
        "recovered_pct": round(100 * (paragraphs - missing) / max(1, paragraphs), 1),
    }
    if not args.no_search:
        from scrkb.config import settings_for
        from scrkb.services.ingest import ingest_paths

        for label, folder in (("messy", messy_dir), ("clean", clean_dir)):
            home = work / f"home-{label}"
            ingest_paths([folder], settings_for(home))
            summary[f"ndcg10_{label}"] = round(ndcg_at_10(home, docs), 3)
        summary["ndcg10_gap"] = round(summary["ndcg10_clean"] - summary["ndcg10_messy"], 3)
    print(json.dumps(summary, indent=2))
    for r in results:
        wrong = {f: (v["got"], v["expected"]) for f, v in r["fields"].items() if not v["right"]}
        if wrong or r["dirty"] or r["missing"]:
            print(
                r["id"],
                r["format"],
                "wrong:",
                wrong,
                "dirty:",
                len(r["dirty"]),
                "missing:",
                len(r["missing"]),
            )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "documents": results}, indent=1))
    if args.keep:
        shutil.copytree(work, args.keep, dirs_exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
