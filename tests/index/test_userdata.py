"""Packs in the store: a home written before share links migrates with its packs intact;
share links are their own unguessable tokens and stop working when revoked;
recommendations are pack items beside passages."""

from __future__ import annotations

import sqlite3

import pytest

from scrkb.errors import NotFound
from scrkb.index.store import MIGRATIONS, SCHEMA_VERSION, Store
from scrkb.models import Recommendation
from scrkb.services.packs import Packs
from tests.factories import make_passage, make_report


def _schema_2_home(path) -> None:  # noqa: ANN001
    """A data home as scrkb wrote it before share links (schema 2), holding one pack."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    conn.executescript(
        "INSERT INTO meta VALUES ('schema_version', '2'), ('generation', '0');"
        "INSERT INTO packs VALUES ('pOld', 'Old pack', '', '2025-01-01', '2025-01-01');"
        "INSERT INTO pack_items VALUES ('pOld', 'gone', 0, 'a note', "
        '\'{"text": "kept", "citation": {"report_id": "r1", "title": "T", '
        '"partnership": null, "year": 2019, "page": 3, "page_end": 3, '
        "\"source_url\": null}}', '2025-01-01');"
    )
    conn.commit()
    conn.close()


def test_userdata_schema_2_home_migrates_with_its_packs(tmp_path) -> None:
    path = tmp_path / "kb.sqlite"
    _schema_2_home(path)
    with Store(path) as store:
        version = store.execute("SELECT value FROM meta WHERE key='schema_version'")[0][0]
        assert int(version) == SCHEMA_VERSION == 5
        packs = Packs(store)
        old = packs.get("pOld")
        assert old.items[0].text == "kept" and old.items[0].missing
        assert old.items[0].citation.format is None  # an old snapshot: no format, page cited
        assert old.items[0].citation.place == "p. 3"
        token = packs.share("pOld")
        assert packs.shared(token).id == "pOld"


def test_userdata_share_links_are_apart_from_the_pack_and_revocable(tmp_path) -> None:
    with Store(tmp_path / "kb.sqlite") as store:
        packs = Packs(store)
        pack = packs.create(title="Unseen men")
        other = packs.create(title="Neglect")
        token = packs.share(pack.id)
        assert token != pack.id and len(token) >= 22
        assert packs.share(pack.id) == token  # one link per pack until it is revoked
        assert packs.shared(token).title == "Unseen men"
        assert packs.share_token(other.id) is None
        packs.revoke_share(pack.id)
        with pytest.raises(NotFound):
            packs.shared(token)
        assert packs.get(pack.id).title == "Unseen men"  # the pack itself stays
        fresh = packs.share(pack.id)
        assert fresh != token
        packs.delete(pack.id)
        with pytest.raises(NotFound):
            packs.shared(fresh)


def test_userdata_recommendations_are_items_beside_passages(tmp_path) -> None:
    with Store(tmp_path / "kb.sqlite") as store:
        report = make_report("r1").model_copy(
            update={
                "recommendations": [
                    Recommendation(
                        number="1",
                        text="Record who lives in the home.",
                        page=9,
                        themes=["unseen_men"],
                    ),
                    Recommendation(number="2", text="Audit the bruising protocol.", page=10),
                ]
            }
        )
        passage = make_passage("r1", 0, "Nobody asked who else lived in the home.")
        store.replace_report(report, [passage], None, text=passage.text)
        packs = Packs(store)
        pack = packs.create(title="Unseen men")
        packs.add_item(pack.id, passage.id)
        packs.add_item(pack.id, "rec:r1:1", note="Ask the team")
        items = packs.get(pack.id).items
        assert [i.kind for i in items] == ["passage", "recommendation"]
        rec = items[1]
        assert rec.number == "2" and rec.text == "Audit the bruising protocol."
        assert rec.citation.page == 10 and not rec.missing and rec.note == "Ask the team"
        with pytest.raises(NotFound):
            packs.add_item(pack.id, "rec:r1:7")
        store.delete_report("r1")
        items = packs.get(pack.id).items
        assert all(i.missing for i in items)  # both kept from their snapshots
        assert items[1].text == "Audit the bruising protocol."
