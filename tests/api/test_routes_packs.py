"""Packs: create, list, rename, delete; items with notes; export in four formats."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient


def _passages(client: TestClient, q: str, k: int = 3) -> list[dict]:
    return client.get("/api/search", params={"q": q, "k": k}).json()["hits"]


@pytest.fixture()
def pack(client: TestClient) -> dict:
    r = client.post("/api/packs", json={"title": "Bruising in babies", "description": "Session 1"})
    assert r.status_code == 201
    return r.json()


def test_pack_ids_are_unguessable(client: TestClient, pack: dict) -> None:
    other = client.post("/api/packs", json={"title": "Second"}).json()
    assert len(pack["id"]) >= 20 and pack["id"] != other["id"]
    assert pack["items"] == [] and pack["item_count"] == 0 and pack["url"].endswith(pack["id"])


def test_pack_list_only_returns_named_packs(client: TestClient, pack: dict, admin: dict) -> None:
    assert client.get("/api/packs").json() == {"data": [], "count": 0}
    named = client.get("/api/packs", params={"id": [pack["id"], "pnope"]}).json()
    assert [p["id"] for p in named["data"]] == [pack["id"]]
    everything = client.get("/api/packs", headers=admin).json()
    assert pack["id"] in {p["id"] for p in everything["data"]}


def test_pack_rename_and_delete(client: TestClient, pack: dict) -> None:
    r = client.patch(f"/api/packs/{pack['id']}", json={"title": "  Non-mobile   babies "})
    assert r.status_code == 200 and r.json()["title"] == "Non-mobile babies"
    assert r.json()["description"] == "Session 1"
    assert client.patch(f"/api/packs/{pack['id']}", json={"title": ""}).status_code == 422
    assert client.patch(f"/api/packs/{pack['id']}", json={"title": "   "}).status_code == 422
    assert client.delete(f"/api/packs/{pack['id']}").status_code == 204
    assert client.get(f"/api/packs/{pack['id']}").status_code == 404
    assert client.delete(f"/api/packs/{pack['id']}").status_code == 404


def test_pack_items_add_note_reorder_remove(client: TestClient, pack: dict) -> None:
    pid = pack["id"]
    a, b, c = (h["passage_id"] for h in _passages(client, "bruise baby emergency department", 3))
    r = client.post(f"/api/packs/{pid}/items", json={"passage_id": a, "note": "Start here"})
    assert r.status_code == 201
    client.post(f"/api/packs/{pid}/items", json={"passage_id": b})
    body = client.post(f"/api/packs/{pid}/items", json={"passage_id": c, "position": 1}).json()
    assert [i["passage_id"] for i in body["items"]] == [c, a, b]
    assert [i["position"] for i in body["items"]] == [1, 2, 3]
    item = body["items"][1]
    assert item["note"] == "Start here" and item["citation"]["page"] >= 1
    assert item["citation"]["partnership"] and item["citation"]["year"]

    dup = client.post(f"/api/packs/{pid}/items", json={"passage_id": a})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "conflict"

    body = client.patch(f"/api/packs/{pid}/items/{b}", json={"note": "Discuss"}).json()
    assert body["items"][2]["note"] == "Discuss"

    body = client.put(f"/api/packs/{pid}/order", json={"passage_ids": [b, a, c]}).json()
    assert [i["passage_id"] for i in body["items"]] == [b, a, c]
    bad = client.put(f"/api/packs/{pid}/order", json={"passage_ids": [b, a]})
    assert bad.status_code == 422 and "missing" in bad.json()["error"]["message"]
    bad = client.put(f"/api/packs/{pid}/order", json={"passage_ids": [b, a, a]})
    assert bad.status_code == 422

    body = client.delete(f"/api/packs/{pid}/items/{a}").json()
    assert [i["passage_id"] for i in body["items"]] == [b, c]
    assert [i["position"] for i in body["items"]] == [1, 2]
    assert client.delete(f"/api/packs/{pid}/items/{a}").status_code == 404


def test_pack_refusals(client: TestClient, pack: dict) -> None:
    pid = pack["id"]
    r = client.post(f"/api/packs/{pid}/items", json={"passage_id": "r000-nope"})
    assert r.status_code == 404 and "no passage" in r.json()["error"]["message"]
    assert client.post("/api/packs/pnope/items", json={"passage_id": "x"}).status_code == 404
    assert client.post("/api/packs", json={"title": "x" * 201}).status_code == 422
    assert client.post("/api/packs", json={}).status_code == 422
    assert client.post("/api/packs", json={"title": "t", "owner": "me"}).status_code == 422
    assert (
        client.post(
            "/api/packs", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert client.patch(f"/api/packs/{pid}/items/nope", json={"note": ""}).status_code == 404
    assert client.get("/api/packs/pnope/export").status_code == 404


@pytest.fixture()
def filled_pack(client: TestClient, pack: dict) -> dict:
    hits = _passages(client, "bruise baby", 1) + _passages(client, "older men exploitation", 1)
    for hit, note in zip(hits, ["Why was the explanation accepted?", ""], strict=True):
        client.post(
            f"/api/packs/{pack['id']}/items", json={"passage_id": hit["passage_id"], "note": note}
        )
    return client.get(f"/api/packs/{pack['id']}").json()


def test_pack_share_link_reads_but_never_edits(client: TestClient, filled_pack: dict) -> None:
    pid = filled_pack["id"]
    assert client.get(f"/api/packs/{pid}/share").status_code == 404  # not shared yet
    link = client.post(f"/api/packs/{pid}/share").json()
    assert len(link["token"]) >= 20 and link["token"] != pid
    assert link["page_url"] == f"/shared/{link['token']}"
    assert client.post(f"/api/packs/{pid}/share").json() == link  # sharing again: same link
    assert client.get(f"/api/packs/{pid}/share").json() == link

    shared = client.get(link["api_url"])
    assert shared.status_code == 200
    body = shared.json()
    assert pid not in shared.text  # the id is the key that edits: never in the shared copy
    assert body["title"] == "Bruising in babies" and len(body["items"]) == 2
    assert body["items"][0]["note"] == "Why was the explanation accepted?"
    assert body["items"][0]["citation"]["title"] == filled_pack["items"][0]["citation"]["title"]
    # The token edits nothing through the pack routes.
    assert client.patch(f"/api/packs/{link['token']}", json={"title": "x"}).status_code == 404

    assert client.delete(f"/api/packs/{pid}/share").status_code == 204
    assert client.get(link["api_url"]).status_code == 404
    assert client.get(f"/api/packs/{pid}/share").status_code == 404
    again = client.post(f"/api/packs/{pid}/share").json()
    assert again["token"] != link["token"]  # a stopped link never comes back
    assert client.post("/api/packs/pnope/share").status_code == 404
    assert client.delete("/api/packs/pnope/share").status_code == 404
    assert client.get("/api/shared/snope").status_code == 404


def test_pack_export_markdown_has_citations_and_references(
    client: TestClient, filled_pack: dict
) -> None:
    r = client.get(f"/api/packs/{filled_pack['id']}/export", params={"format": "md"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    assert 'filename="bruising-in-babies.md"' in r.headers["content-disposition"]
    text = r.text
    assert text.startswith("# Bruising in babies")
    assert (
        "[1] Serious Case Review: Baby R (Ambleside Vale Local Safeguarding Children Board, 2015), p."
        in text
    )
    assert "## References" in text
    assert (
        "[2] Cwm Tawel Regional Safeguarding Children Board (2019) Child Practice Review: Child T."
        in text
    )
    # No publisher link and no SCRKB_PUBLIC_BASE_URL here: no address rather than this
    # server's own, which nobody holding the file could open.
    assert "/api/" not in text and "127.0.0.1" not in text and "testserver" not in text
    assert "**Note:** Why was the explanation accepted?" in text


def test_pack_export_briefing_layout(client: TestClient, filled_pack: dict) -> None:
    text = client.get(
        f"/api/packs/{filled_pack['id']}/export", params={"format": "md", "layout": "briefing"}
    ).text
    sections = [
        "Background",
        "Why it matters",
        "What the reviews found",
        "What to do",
        "Questions for reflection",
        "Further information",
    ]
    at = [text.index(f"## {s}\n") for s in sections]
    assert at == sorted(at)
    questions = text[at[4] : at[5]]
    assert "Why was the explanation accepted?" in questions  # the trainer's note
    why = text[at[1] : at[2]]
    assert why.startswith("## Why it matters\n\nSession 1. The 2 reviews in this briefing")
    assert "It is not a one-off:" in why  # how often the lead theme recurs elsewhere
    assert "Ambleside Vale Local Safeguarding Children Board (2015)" in text[at[0] : at[1]]


def test_pack_export_csv(client: TestClient, filled_pack: dict) -> None:
    r = client.get(f"/api/packs/{filled_pack['id']}/export", params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[0]["report_title"] == "Serious Case Review: Baby R"
    assert rows[0]["year"] == "2015" and rows[0]["page"]
    assert not any(r["url"] for r in rows)  # no publisher link known, no public base URL
    assert rows[0]["note"] == "Why was the explanation accepted?"


@pytest.mark.parametrize("layout", ["standard", "briefing"])
def test_pack_export_docx_and_pdf(client: TestClient, filled_pack: dict, layout: str) -> None:
    from docx import Document

    r = client.get(
        f"/api/packs/{filled_pack['id']}/export", params={"format": "docx", "layout": layout}
    )
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "Bruising in babies" in text
    assert "Ambleside Vale Local Safeguarding Children Board (2015)" in text
    if layout == "briefing":
        assert "Questions for reflection" in text and "Further information" in text
    else:
        assert "References" in text
    r = client.get(
        f"/api/packs/{filled_pack['id']}/export", params={"format": "pdf", "layout": layout}
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert r.headers["content-type"] == "application/pdf"


def test_pack_export_bad_format_is_415(client: TestClient, pack: dict) -> None:
    r = client.get(f"/api/packs/{pack['id']}/export", params={"format": "xlsx"})
    assert r.status_code == 415 and "md, docx, pdf or csv" in r.json()["error"]["message"]
    r = client.get(f"/api/packs/{pack['id']}/export", params={"layout": "poster"})
    assert r.status_code == 422


def test_pack_export_survives_odd_characters(client: TestClient, pack: dict) -> None:
    client.patch(f"/api/packs/{pack['id']}", json={"title": "Tabs\tand \x00 nulls “quotes” ✓"})
    hit = _passages(client, "neglect", 1)[0]
    client.post(
        f"/api/packs/{pack['id']}/items",
        json={"passage_id": hit["passage_id"], "note": "=SUM(A1)\x07"},
    )
    for fmt in ("md", "docx", "pdf", "csv"):
        assert (
            client.get(f"/api/packs/{pack['id']}/export", params={"format": fmt}).status_code == 200
        )
    rows = client.get(f"/api/packs/{pack['id']}/export", params={"format": "csv"}).content
    assert b"'=SUM(A1)" in rows  # no spreadsheet formula injection
