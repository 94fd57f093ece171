"""The SQLite store: one transaction per report, FTS kept in sync, migrations, filters."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from scrkb.errors import ConfigError, NotFound
from scrkb.index.store import MIGRATIONS, SCHEMA_VERSION, Store, sql_statements
from scrkb.models import ReportMetadata, SearchFilters, ThemeTag
from tests.factories import make_passage, make_report

TEXTS = [
    "The health visitor saw the baby with a bruise on her cheek and accepted the explanation.",
    "No strategy discussion was held after the second referral from the school.",
    "The family moved to a new authority and the child protection plan was not transferred.",
]


FORM = "int8"  # the form random test vectors are filed as


def _vectors(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _fts_rows(store: Store, term: str) -> list[int]:
    return [
        r[0]
        for r in store.execute("SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?", (term,))
    ]


def test_store_new_database_is_wal_with_current_schema(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        mode = store.execute("PRAGMA journal_mode")[0][0]
        version = store.execute("SELECT value FROM meta WHERE key='schema_version'")[0][0]
    assert mode == "wal"
    assert int(version) == SCHEMA_VERSION


def test_store_replace_report_indexes_text_and_bumps_generation(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        before = store.generation()
        report = make_report("r1")
        passages = [
            make_passage("r1", i, t, themes=["missed_health_presentations"] if i == 0 else [])
            for i, t in enumerate(TEXTS)
        ]
        store.replace_report(report, passages, _vectors(3), form=FORM, text="\n\n".join(TEXTS))
        assert store.generation() == before + 1
        assert len(_fts_rows(store, "strategy")) == 1
        # porter stemming: "transferring" finds "transferred"
        assert len(_fts_rows(store, "transferring")) == 1
        got = store.passages_for_report("r1")
        assert [p.text for p in got] == TEXTS
        assert got[0].themes[0].theme_id == "missed_health_presentations"
        assert store.stats()["passages"] == 3


def test_store_replacing_a_report_removes_old_passages_from_fts(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(1), form=FORM
        )
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[1])], _vectors(1), form=FORM
        )
        assert _fts_rows(store, "bruise") == []
        assert len(_fts_rows(store, "strategy")) == 1
        assert store.stats()["passages"] == 1


def test_store_failed_write_leaves_previous_version_whole(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(1), form=FORM
        )
        generation = store.generation()
        bad = [make_passage("r1", 0, TEXTS[1]), make_passage("r1", 0, TEXTS[2])]  # same id twice
        with pytest.raises(sqlite3.IntegrityError):
            store.replace_report(make_report("r1"), bad, _vectors(2), form=FORM)
        assert [p.text for p in store.passages_for_report("r1")] == [TEXTS[0]]
        assert store.generation() == generation
        assert len(_fts_rows(store, "bruise")) == 1


def test_store_embedding_count_must_match_passages(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store, pytest.raises(ValueError):
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(2), form=FORM
        )


def test_store_iter_embeddings_round_trips_vectors(tmp_path):
    vecs = _vectors(3)
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"),
            [make_passage("r1", i, t) for i, t in enumerate(TEXTS)],
            vecs,
            form=FORM,
        )
        ids, got = next(store.iter_embeddings())
    assert len(ids) == 3
    np.testing.assert_allclose(got, vecs)


def test_store_filters_combine_report_fields_and_themes(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("old", year=2010, nation="Wales", review_type="cpr"),
            [make_passage("old", 0, TEXTS[0], themes=["neglect"])],
            _vectors(1),
            form=FORM,
        )
        store.replace_report(
            make_report("new", year=2022, review_type="lcspr"),
            [
                make_passage("new", 0, TEXTS[1], themes=["neglect", "multi_agency_working"]),
                make_passage("new", 1, TEXTS[2]),
            ],
            _vectors(2),
            form=FORM,
        )

        def count(**kw):
            return len(store.filtered_rowids(SearchFilters(**kw)))

        assert count() == 3
        assert count(year_from=2015) == 2
        assert count(year_to=2015) == 1
        assert count(nations=["Wales"]) == 1
        assert count(review_types=["lcspr", "cpr"]) == 3
        assert count(themes=["neglect"]) == 2
        assert count(themes=["neglect", "multi_agency_working"]) == 1
        assert count(themes=["neglect"], year_from=2015) == 1


def test_store_replace_annotations_swaps_tags_and_metadata(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"),
            [make_passage("r1", 0, TEXTS[0], themes=["neglect"])],
            _vectors(1),
            form=FORM,
        )
        tag = ThemeTag(
            theme_id="professional_curiosity", confidence=0.8, evidence="accepted", start=0, end=5
        )
        store.replace_annotations(
            "r1", ReportMetadata(year=2001, nation="Scotland"), [], {"r1-0000": [tag]}
        )
        passage = store.passages_for_report("r1")[0]
        assert [t.theme_id for t in passage.themes] == ["professional_curiosity"]
        assert store.get_report("r1").metadata.nation == "Scotland"


def test_store_unknown_report_is_not_found(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store, pytest.raises(NotFound):
        store.get_report("nope")


def test_store_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "kb.sqlite"
    with Store(path) as store:
        store.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
        store._conn.commit()
    with pytest.raises(ConfigError, match="newer scrkb"):
        Store(path)


def test_store_update_provenance_merges(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(make_report("r1"), [], None)
        store.update_provenance("r1", {"no_longer_online_since": "2026-11-01"})
        assert store.get_report("r1").provenance["no_longer_online_since"] == "2026-11-01"


def test_store_read_only_path_with_hash_and_question_mark(tmp_path):
    path = tmp_path / "kb#1?x" / "kb.sqlite"
    with Store(path) as store:
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(1), form=FORM
        )
    with Store(path, readonly=True) as ro:
        assert ro.stats()["passages"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb#1?x"]  # no stray file


def test_store_migration_is_atomic_with_its_version(tmp_path):
    path = tmp_path / "kb.sqlite"
    with Store(path):
        pass
    with Store(path) as again:  # re-opening must not re-run migration 1
        assert again.stats()["reports"] == 0


def test_store_deleting_a_missing_report_changes_nothing(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        generation = store.generation()
        store.delete_report("nope")
        assert store.generation() == generation


def test_store_records_one_embedding_form_and_refuses_another(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        assert store.embedding_form() is None  # no vectors yet: any form may come
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(1), form="int8"
        )
        assert store.embedding_form() == "int8"
        generation = store.generation()
        with pytest.raises(ConfigError, match="never mixes forms"):
            store.replace_report(
                make_report("r2"), [make_passage("r2", 0, TEXTS[1])], _vectors(1), form="fp32"
            )
        with pytest.raises(ValueError, match="form"):
            store.replace_report(make_report("r2"), [make_passage("r2", 0, TEXTS[1])], _vectors(1))
        assert store.generation() == generation and store.stats()["reports"] == 1
        store.delete_report("r1")
        assert store.embedding_form() is None  # empty again: the next form is free
        store.replace_report(
            make_report("r2"), [make_passage("r2", 0, TEXTS[1])], _vectors(1), form="fp32"
        )
        assert store.embedding_form() == "fp32"


def test_store_written_before_forms_were_recorded_holds_fp32(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"), [make_passage("r1", 0, TEXTS[0])], _vectors(1), form="fp32"
        )
        store.execute("DELETE FROM meta WHERE key = 'embedding_form'")
        store._conn.commit()
        assert store.embedding_form() == "fp32"  # torch vectors: all there was before


def test_store_rework_swaps_every_vector_in_one_step(tmp_path):
    with Store(tmp_path / "kb.sqlite") as store:
        store.replace_report(
            make_report("r1"),
            [make_passage("r1", i, t) for i, t in enumerate(TEXTS)],
            _vectors(3),
            form="fp32",
        )
        generation = store.generation()
        pending = store.rework_pending("int8", limit=2)
        assert [text for _, text, _ in pending] == TEXTS[:2]
        new = -_vectors(3)
        store.save_rework([rowid for rowid, _, _ in pending], new[:2], "int8")
        assert store.rework_count("int8") == (2, 3)
        assert store.adopt_rework("int8") == 1  # one passage still lacks its new vector
        assert store.embedding_form() == "fp32" and store.generation() == generation
        rest = store.rework_pending("int8")
        store.save_rework([rowid for rowid, _, _ in rest], new[2:], "int8")
        assert store.adopt_rework("int8") == 0
        assert store.embedding_form() == "int8"
        assert store.generation() == generation + 1  # the vector index rebuilds
        _, got = next(store.iter_embeddings())
        np.testing.assert_allclose(got, new)
        assert store.rework_count("int8") == (0, 3)


def test_store_schema_4_home_gains_paragraphs_and_new_passages_keep_theirs(tmp_path):
    """A home written before paragraphs were counted opens with them blank (a web page's
    passage is then cited as "web page", never by a wrong number); passages stored from
    then on keep the paragraph they start in."""
    path = tmp_path / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("".join(MIGRATIONS[:4]))
    conn.executescript(
        "INSERT INTO meta VALUES ('schema_version', '4'), ('generation', '0');"
        "INSERT INTO reports (id, title, source, sha256, format, size_bytes, page_count, "
        "status, metadata_json, provenance_json, text, ingested_at) "
        "VALUES ('rOld', 'Child Practice Review: Child T', '/x.html', 'a', 'html', 1, 1, "
        "'ok', '{}', '{}', '', '2025-01-01');"
        "INSERT INTO passages (id, report_id, ordinal, text, heading, heading_path_json, "
        "section_kind, page_start, page_end, char_start, char_end) VALUES ('pOld', 'rOld', "
        "3, 'Child T was withdrawn from school.', '', '[]', 'body', 1, 1, 0, 33);"
        "INSERT INTO packs VALUES ('pk', 'Pack', '', '2025-01-01', '2025-01-01');"
        "INSERT INTO pack_items VALUES ('pk', 'pOld', 0, '', '{\"citation\": "
        '{"report_id": "rOld", "format": "html", "paragraph": 4}}\', \'2025-01-01\');'
    )
    conn.commit()
    conn.close()
    with Store(path) as store:
        old = store.passages_by_rowid([1])[1]
        assert old.paragraph is None and old.ordinal == 3
        # a pack's saved citation held the passage number as "paragraph": dropped
        snapshot = store.execute("SELECT snapshot_json FROM pack_items")[0][0]
        assert json.loads(snapshot) == {"citation": {"report_id": "rOld", "format": "html"}}
        report = make_report("r-new")
        passage = make_passage("r-new", 0, "The health visitor saw the bruise.")
        store.replace_report(report, [passage.model_copy(update={"paragraph": 12})], None)
        rowid = store.execute("SELECT rowid FROM passages WHERE report_id = 'r-new'")[0][0]
        assert store.passages_by_rowid([rowid])[rowid].paragraph == 12


def _open_at_once(path: str, barrier) -> str:  # noqa: ANN001 - a multiprocessing Barrier
    barrier.wait()
    try:
        with Store(Path(path)) as store:
            return str(store.stats()["reports"])
    except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
        return f"{type(exc).__name__}: {exc}"


def test_store_opened_by_several_processes_at_once_migrates_once(tmp_path):
    """A server and an ingest opening a new home together: each must see the schema made
    once, never re-run a migration another process has just run."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        path = tmp_path / f"kb{attempt}.sqlite"
        with context.Manager() as manager, context.Pool(4) as pool:
            barrier = manager.Barrier(4)
            results = pool.starmap(_open_at_once, [(str(path), barrier)] * 4)
        assert results == ["0"] * 4, results
        with Store(path) as store:
            version = store.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert int(version[0][0]) == SCHEMA_VERSION


def test_store_migration_statements_keep_trigger_bodies_whole():
    statements = list(sql_statements(MIGRATIONS[0]))
    assert [len(list(sql_statements(m))) for m in MIGRATIONS] == [12, 5, 1, 2, 2]
    with pytest.raises(ValueError, match="incomplete"):
        list(sql_statements("CREATE TABLE a (x);\nCREATE TABLE b (y)"))
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert triggers and all(s.endswith("END;") for s in triggers)
    assert all(sqlite3.complete_statement(s) for s in statements)
