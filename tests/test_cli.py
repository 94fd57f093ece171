"""The CLI contract others rely on: ``search --json``, ``--batch``, ``tag --jsonl`` and friends."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scrkb.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def _run(*args: str, input: str | None = None):  # noqa: A002
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_cli_search_json_shape(sample_home):
    result = _run(
        "search",
        "baby bruised and nobody referred it",
        "-k",
        "3",
        "--json",
        "--home",
        str(sample_home.home),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "baby bruised and nobody referred it"
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]
    first = data["results"][0]
    for key in ("rank", "passage_id", "report_id", "title", "text", "page", "score", "themes"):
        assert key in first
    assert isinstance(first["themes"], list)
    theme_ids = [t for r in data["results"] for t in r["themes"]]
    assert theme_ids and all(isinstance(t, str) for t in theme_ids)
    assert isinstance(first["page"], int) and first["page"] >= 1


def test_cli_search_filters_by_year_type_and_theme(sample_home):
    result = _run(
        "search",
        "learning",
        "-k",
        "10",
        "--json",
        "--year-from",
        "2019",
        "--type",
        "lcspr",
        "--theme",
        "domestic_abuse",
        "--home",
        str(sample_home.home),
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["results"]
    assert hits
    assert all(h["year"] >= 2019 and h["review_type"] == "lcspr" for h in hits)
    assert all("domestic_abuse" in h["themes"] for h in hits)


def test_cli_search_batch_writes_one_json_line_per_query(sample_home, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("missed health appointments\n\nmother's partner never assessed\n")
    result = _run(
        "search", "--batch", str(queries), "-k", "2", "--json", "--home", str(sample_home.home)
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == [
        "missed health appointments",
        "mother's partner never assessed",
    ]
    assert all(len(line["results"]) == 2 for line in lines)


def test_cli_search_unknown_theme_lists_valid_ids(sample_home):
    result = runner.invoke(
        app, ["search", "x", "--theme", "nonsense", "--home", str(sample_home.home)]
    )
    assert result.exit_code == 2
    assert "unknown theme id(s) nonsense" in result.output
    assert "threshold_disputes" in result.output


def test_cli_search_without_a_knowledge_base_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["search", "neglect", "--home", str(tmp_path / "none")])
    assert result.exit_code == 3
    assert "run `scrkb ingest` first" in result.output


def test_cli_report_and_stats_json(sample_home):
    stats = json.loads(_run("stats", "--json", "--home", str(sample_home.home)).stdout)
    assert stats["reports"] == 27 and stats["passages"] > 300
    search = json.loads(
        _run("search", "sofa", "-k", "1", "--json", "--home", str(sample_home.home)).stdout
    )
    report_id = search["results"][0]["report_id"]
    report = json.loads(_run("report", report_id, "--json", "--home", str(sample_home.home)).stdout)
    assert report["id"] == report_id
    assert report["metadata"]["year"] is not None
    assert report["passages"] > 0
    assert report["recommendations"]


def test_cli_tag_jsonl_contract(tmp_path):
    lines = [
        {
            "id": "p1",
            "text": "The health visitor saw the six-week-old baby with a bruise on his "
            "cheek; the explanation that a sibling had caused it was accepted and no referral to "
            "children's social care was made.",
        },
        {"id": 7, "text": "There was no evidence of domestic abuse in the household."},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = _run("tag", str(src), "--jsonl")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["p1", 7]
    themes = {t["id"]: t for t in out[0]["themes"]}
    assert "non_mobile_injury" in themes
    tag = themes["non_mobile_injury"]
    assert 0 <= tag["confidence"] <= 1 and tag["evidence"] in lines[0]["text"]
    assert "domestic_abuse" not in {t["id"] for t in out[1]["themes"]}


def test_cli_tag_jsonl_reports_bad_lines_and_carries_on(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "The school made a referral."}\nnot json\n{"id": "b"}\n')
    result = runner.invoke(app, ["tag", str(src), "--jsonl"])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert out[0]["id"] == "a" or out[-1]["id"] == "a"
    assert sum(1 for o in out if o.get("error")) == 2


def test_cli_ingest_exit_code_is_one_when_a_file_fails(tmp_path):
    folder = tmp_path / "reviews"
    (folder / "2019").mkdir(parents=True)
    good = folder / "2019" / "note.txt"
    good.write_text(
        "Serious Case Review: Child Q (fictional)\n\n1.1 The school shared its "
        "concerns with children's social care on the same day, and a strategy "
        "discussion was held within 24 hours with police and health.\n"
    )
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n%garbage")
    result = runner.invoke(app, ["ingest", str(folder), str(bad), "--home", str(tmp_path / "h")])
    assert result.exit_code == 1
    assert "documents: 1" in result.output
    assert "failures: 1" in result.output
    assert "broken.pdf" in result.output
    # the run is recorded as a job of the home, so a server on it holds its indexes
    from scrkb.config import Settings
    from scrkb.index.store import Store
    from scrkb.services.jobs import Jobs

    settings = Settings(home=tmp_path / "h")
    with Store(settings.db_path) as store:
        (job,) = Jobs(store, settings).recent()
    assert (job.kind, job.status) == ("ingest", "partial")
    assert job.message == "1 document(s) ingested, 1 failed"
    assert job.result is not None and job.result["documents"] == 1
    # API clients list jobs: the record names what was given, from there down, and never
    # the server's directories above it
    assert job.params["paths"] == ["reviews", "broken.pdf"]
    assert {f["path"] for f in job.result["files"]} == {"reviews/2019/note.txt", "broken.pdf"}
    assert str(tmp_path) not in job.model_dump_json()


def test_cli_search_batch_reports_a_bad_query_and_carries_on(sample_home, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("missed health appointments\n" + "neglect " * 200 + "\nunseen men\n")
    result = runner.invoke(
        app,
        ["search", "--batch", str(queries), "-k", "1", "--json", "--home", str(sample_home.home)],
    )
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [bool(line.get("error")) for line in lines] == [False, True, False]
    assert "limit is 1000" in lines[1]["error"]
    assert len(lines[2]["results"]) == 1


def test_cli_search_nation_filter_ignores_case(sample_home):
    result = _run(
        "search",
        "neglect",
        "-k",
        "3",
        "--json",
        "--nation",
        "wales",
        "--home",
        str(sample_home.home),
    )
    hits = json.loads(result.stdout)["results"]
    assert hits and all(h["nation"] == "Wales" for h in hits)


@pytest.mark.slow
def test_cli_eval_file_bad_data_is_a_one_line_error(tmp_path):
    bad = tmp_path / "mine.jsonl"
    bad.write_text('{"id": "p1", "text": "The referral was closed.", "themes": ["nope"]}\n')
    result = _run("eval", "--file", str(bad))
    assert result.exit_code == 2
    assert "mine.jsonl line 1: unknown theme(s) ['nope']" in result.output
    result = _run("eval", "--file", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2
    assert "cannot read" in result.output


@pytest.mark.slow
def test_cli_eval_file_scores_the_weights_it_is_given(tmp_path):
    """--model swaps the weights scored: a copy of the shipped model whose thresholds no
    confidence reaches tags nothing, where the shipped one finds the labelled themes."""
    from scrkb.nlp.themes import MODEL_PATH, TaggerModel

    labelled = tmp_path / "mine.jsonl"  # fictional passages in the register of a review
    rows = [
        (
            "p1",
            "Baby Jay, aged eight weeks, had a bruise to his ear that the health visitor "
            "noticed; he was not referred under the bruising protocol for non-mobile babies.",
            ["non_mobile_injury"],
        ),
        (
            "p2",
            "Police were called to the home four times for domestic abuse incidents "
            "between the parents, and each was risk assessed as standard on the DASH.",
            ["domestic_abuse"],
        ),
        ("p3", "The panel met on three occasions and thanks the family for their time.", []),
    ]
    labelled.write_text(
        "".join(json.dumps({"id": i, "text": t, "themes": th}) + "\n" for i, t, th in rows)
    )
    shipped = json.loads(_run("eval", "--file", str(labelled), "--json").stdout)
    assert shipped["evaluation"] == "shipped model on mine.jsonl"
    assert shipped["tagger"]["micro"]["recall"] > 0

    strict = TaggerModel.load(MODEL_PATH)
    strict.thresholds[:] = 1.01  # no confidence reaches it
    strict.save(tmp_path / "strict.npz")
    result = _run(
        "eval", "--file", str(labelled), "--model", str(tmp_path / "strict.npz"), "--json"
    )
    scored = json.loads(result.stdout)
    assert scored["evaluation"] == "model strict.npz on mine.jsonl"
    assert scored["tagger"]["micro"]["recall"] == 0.0

    missing = _run("eval", "--file", str(labelled), "--model", str(tmp_path / "none.npz"))
    assert missing.exit_code == 2 and "cannot read" in missing.output
    for damaged in (b"", b"PK\x03\x04 truncated", b"not a model"):
        (tmp_path / "bad.npz").write_bytes(damaged)
        bad = _run("eval", "--file", str(labelled), "--model", str(tmp_path / "bad.npz"))
        assert bad.exit_code == 2, bad.output
        assert "bad.npz cannot be read as a tagger model" in bad.output
    alone = _run("eval", "--model", str(tmp_path / "strict.npz"))
    assert alone.exit_code == 2 and "--model needs --file" in alone.output


def test_cli_search_shows_a_few_per_report_grouped_explained(sample_home):
    home = ["--home", str(sample_home.home)]
    query = "bruise on a baby not referred"
    data = json.loads(_run("search", query, "-k", "20", "--json", *home).stdout)
    assert data["per_report"] == 2 and data["total"] > data["page_total"] > 0
    reports = [r["report_id"] for r in data["results"]]
    assert max(reports.count(r) for r in reports) <= 2
    assert all({"terms", "themes", "meaning"} == set(r["why"]) for r in data["results"])
    crowded = next(r for r in data["results"] if r["report_matches"] > 2)

    one = json.loads(
        _run("search", query, "-k", "100", "--report", crowded["report_id"], "--json", *home).stdout
    )
    assert one["per_report"] == 0 and {r["report_id"] for r in one["results"]} == {
        crowded["report_id"]
    }
    # narrowed to one report, each arm looks deeper into it: at least the matches counted
    assert len(one["results"]) == one["total"] >= crowded["report_matches"]

    grouped = json.loads(_run("search", query, "-k", "2", "--by-report", "--json", *home).stdout)
    assert grouped["view"] == "reports" and len(grouped["groups"]) == 2
    for group in grouped["groups"]:
        assert {r["report_id"] for r in group["results"]} == {group["report_id"]}
        assert 1 <= len(group["results"]) <= 2 and isinstance(group["results"][0]["themes"], list)

    misspelt = json.loads(_run("search", "neglekt", "--json", *home).stdout)
    assert misspelt["suggestions"]["spelling"] == "neglect"
    # no word of "neglekt" is a word (corpus or English): nothing matches, the spelling is offered
    text = _run("search", "neglekt", "-k", "1", *home).stdout
    assert "Did you mean: neglect?" in text and "No passages found" in text
    assert "why:" in _run("search", "neglect", "-k", "1", *home).stdout
    shorthand = _run("search", "CAMHS waiting list", "-k", "1", *home).stdout
    assert "Also searched for child and adolescent mental health service (CAMHS)." in shorthand
    read = json.loads(_run("search", "CAMHS waiting list", "--json", *home).stdout)
    assert read["query_expansions"] == {"camhs": ["child and adolescent mental health service"]}
