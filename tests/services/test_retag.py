"""``scrkb retag``: new tags and metadata for a whole store, passages and vectors untouched."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scrkb.cli import app
from scrkb.config import Settings
from scrkb.index.store import Store
from scrkb.services.ingest import ingest_paths

pytestmark = pytest.mark.slow

REPORT = """Serious Case Review: Baby N (fictional)
Moorgate Local Safeguarding Children Board
Published: June 2016

1. Introduction

1.1 This serious case review was commissioned by Moorgate Local Safeguarding Children Board after Baby N, a ten-week-old girl, was found to have fractures to her ribs. This review is fictional.

2. Findings

2.1 The health visitor noticed a bruise on the baby's forehead at eight weeks. The mother said the baby had rolled against the cot. The explanation was accepted and no referral was made, although the baby was not mobile and the bruising protocol required a paediatric assessment.

3. Recommendations

Recommendation 1: Moorgate LSCB should ensure that all health practitioners follow the bruising protocol for non-mobile babies.
"""


def test_retag_restores_tags_and_metadata_without_touching_passages(tmp_path):
    src = tmp_path / "baby-n.txt"
    src.write_text(REPORT)
    settings = Settings(home=tmp_path / "home")
    outcome = ingest_paths([src], settings).outcomes[0]
    with Store(settings.db_path) as store:
        before = store.passages_for_report(outcome.report_id)
        generation = store.generation()
        assert any(t.theme_id == "non_mobile_injury" for p in before for t in p.themes)
        # simulate a store tagged by an older taxonomy: no tags, metadata lost
        store.execute("DELETE FROM passage_themes")
        store.execute("UPDATE reports SET year = NULL, metadata_json = '{}'")
        store.execute("DELETE FROM recommendations")
        # and stored before paragraphs were counted (schema 4)
        store.execute("UPDATE passages SET paragraph = NULL")
        store._conn.commit()

    result = CliRunner().invoke(app, ["retag", "--home", str(settings.home)])
    assert result.exit_code == 0, result.output
    assert "re-tagged 1 reports" in result.output

    with Store(settings.db_path) as store:
        after = store.passages_for_report(outcome.report_id)
        report = store.get_report(outcome.report_id)
        assert store.generation() == generation  # vectors untouched: no index rebuild
    assert [p.id for p in after] == [p.id for p in before]
    # the paragraphs are back from the kept copy, as ingest counted them
    assert [p.paragraph for p in after] == [p.paragraph for p in before]
    assert all(p.paragraph for p in after)
    assert [[t.theme_id for t in p.themes] for p in after] == [
        [t.theme_id for t in p.themes] for p in before
    ]
    assert report.metadata.year == 2016
    assert report.metadata.child_code == "Baby N"
    assert [r.number for r in report.recommendations] == ["1"]
    assert "non_mobile_injury" in report.recommendations[0].themes
    # the retag rebuilt the BM25 index (it holds the tags) before it ended, and was a job
    from scrkb.index.lexical import LEXICAL_DIR, LexicalIndex
    from scrkb.services.jobs import Jobs

    with Store(settings.db_path) as store:
        saved = LexicalIndex.load(settings.home / LEXICAL_DIR)
        assert saved is not None and saved.current_for(store)
        column = saved.theme_ids.index("non_mobile_injury")
        assert saved.theme_conf[:, column].any()
        jobs = {job.kind: job for job in Jobs(store, settings).recent()}
    assert (jobs["retag"].status, jobs["retag"].params) == ("succeeded", {"from": "command line"})


def test_retag_reads_kept_copies_as_ingest_reads_files(tmp_path, monkeypatch):
    """A kept copy is read in the bounded child (memory ceiling, time limit) with the
    settings' limits, like any file from outside; the child is stopped afterwards."""
    from scrkb.ingest.isolate import IsolatedExtractor
    from scrkb.services import ingest
    from scrkb.services.retag import retag_store

    src = tmp_path / "baby-n.txt"
    src.write_text(REPORT)
    settings = Settings(home=tmp_path / "home")
    outcome = ingest_paths([src], settings).outcomes[0]
    with Store(settings.db_path) as store:
        store.execute("UPDATE reports SET year = NULL, metadata_json = '{}'")
        store._conn.commit()
    read: list[tuple[str, int]] = []
    real = IsolatedExtractor.extract

    def spy(self, path, **kwargs):  # noqa: ANN001, ANN202
        read.append((path.name, self.memory_mb))
        return real(self, path, **kwargs)

    monkeypatch.setattr(IsolatedExtractor, "extract", spy)
    totals = retag_store(settings)
    assert totals["reports"] == 1
    assert len(read) == 1 and read[0][0].endswith(".txt")
    assert read[0][1] == settings.extract_memory_mb > 0
    assert ingest._worker_extractor is None  # no child left behind
    with Store(settings.db_path) as store:
        assert store.get_report(outcome.report_id).metadata.year == 2016
