"""The server's searcher while a job writes: it keeps the indexes it has and takes up the
changes once the job ends, whether they moved the store's generation (new passages) or
only its tags (a retag)."""

from __future__ import annotations

import json
import os
import socket

import pytest

from scrkb.config import Settings
from scrkb.index.store import Store, utcnow
from scrkb.models import ReportMetadata, ThemeTag
from scrkb.services.jobs import ServingSearcher
from tests.factories import embed, embedding_form, make_passage, make_report

pytestmark = pytest.mark.slow

# Fictional passages in the register of published reviews.
TEXTS = [
    "The health visitor saw a bruise on the baby's ear and accepted the mother's account.",
    "Bruising to a baby who is not independently mobile must always be referred.",
    "The school nurse was not invited to the strategy discussion about the older sister.",
]


def test_a_retag_during_a_job_reaches_search_when_the_job_ends_never_midway(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    passages = [make_passage("rj", i, t) for i, t in enumerate(TEXTS)]
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(make_report("rj"), passages, embed(TEXTS), form=embedding_form())
    searcher = ServingSearcher(settings)
    before = searcher.lexical_index()
    column = before.theme_ids.index("non_mobile_injury")
    assert not before.theme_conf[:, column].any()

    # An ingest job of this server, running (this process is its live worker), while a
    # `scrkb retag` from the command line swaps one report's tags.
    with searcher.store.transaction() as conn:
        conn.execute(
            "INSERT INTO jobs (id, kind, status, params_json, pid, host, created_at) "
            "VALUES ('jingest', 'ingest', 'running', ?, ?, ?, ?)",
            (json.dumps({}), os.getpid(), socket.gethostname(), utcnow()),
        )
    tag = ThemeTag(
        theme_id="non_mobile_injury", confidence=0.8, evidence=TEXTS[1][:40], start=0, end=40
    )
    searcher.store.replace_annotations("rj", ReportMetadata(), [], {passages[1].id: [tag]})
    assert searcher.jobs.active() == 1
    assert searcher.lexical_index() is before  # mid-job: what is loaded, no rebuild

    with searcher.store.transaction() as conn:
        conn.execute("UPDATE jobs SET status = 'done' WHERE id = 'jingest'")
    after = searcher.lexical_index()
    assert after is not before
    assert after.theme_conf[:, column].astype(bool).tolist() == [False, True, False]
    searcher.store.close()
