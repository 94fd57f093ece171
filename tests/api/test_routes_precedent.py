"""POST /api/precedent: a draft, pasted or uploaded, against the earlier reviews."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from scrkb.api.app import create_app
from scrkb.config import Settings
from scrkb.models import MODERATE_MATCH, STRONG_MATCH

DRAFT = (
    "4.1 The baby was eight weeks old when the childminder noticed a bruise on his ear. "
    "The mother said that his brother had pushed him off the sofa, and the GP accepted "
    "this explanation without examining the baby fully or referring him to a paediatrician, "
    "although he was not yet able to roll over.\n\n"
    "4.2 The mother's boyfriend had recently moved in. No professional asked about him, and "
    "checks with the police, who knew of his violence, were never made."
)


def _docx(text: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Draft findings", level=1)
    for para in text.split("\n\n"):
        doc.add_paragraph(para)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_precedent_from_json_finds_the_similar_review(client: TestClient) -> None:
    r = client.post("/api/precedent", json={"text": DRAFT, "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["draft_passages"] >= 1 and body["draft_words"] > 50 and not body["truncated"]
    assert "non_mobile_injury" in {t["id"] for t in body["themes"]}
    top = body["reports"][0]
    assert top["report"]["title"] == "Serious Case Review: Baby R"
    assert len(body["reports"]) <= 3
    assert "non_mobile_injury" in {t["id"] for t in top["shared_themes"]}
    assert top["passages"] and top["passages"][0]["hit"]["report_id"] == top["report"]["id"]
    assert top["passages"][0]["draft_excerpt"] and top["passages"][0]["similarity"] > 0
    assert top["recommendations"], "what the earlier review recommended"
    assert body["passages"][0]["hit"]["rank"] == 1
    scores = [rep["score"] for rep in body["reports"]]
    assert scores == sorted(scores, reverse=True)


def test_precedent_from_multipart_text_and_docx(client: TestClient) -> None:
    r = client.post("/api/precedent", data={"text": DRAFT, "k": "2"})
    assert r.status_code == 200 and len(r.json()["reports"]) == 2
    files = {"file": ("draft.docx", _docx(DRAFT), "application/octet-stream")}
    r = client.post("/api/precedent", files=files, data={"k": "1"})
    assert r.status_code == 200
    assert r.json()["reports"][0]["report"]["title"] == "Serious Case Review: Baby R"
    # A long draft as a multipart text field (no file): only the short fields are capped.
    long_draft = "\n\n".join([DRAFT] * 20)
    assert len(long_draft.encode()) > 8 * 1024
    body, ctype = _multipart({"text": long_draft, "k": "1"})
    r = client.post("/api/precedent", content=body, headers={"content-type": ctype})
    assert r.status_code == 200, r.text
    body, ctype = _multipart({"text": DRAFT, "k": "1" * 5000})
    r = client.post("/api/precedent", content=body, headers={"content-type": ctype})
    assert r.status_code == 413 and "'k'" in r.json()["error"]["message"]


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields only (clients send plain forms otherwise)."""
    boundary = "scrkb-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"text": "too short"}}, 422, "invalid_query"),
        ({"json": {"text": ""}}, 422, "invalid_request"),
        ({"json": {"text": DRAFT, "k": 51}}, 422, "invalid_request"),
        ({"json": {"draft": DRAFT}}, 422, "invalid_request"),
        ({"json": ["not", "an", "object"]}, 422, "invalid_request"),
        (
            {"content": b"{oops", "headers": {"content-type": "application/json"}},
            422,
            "invalid_request",
        ),
        (
            {"content": DRAFT.encode(), "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"content": b""}, 415, "unsupported_media_type"),
        ({"data": {"k": "2"}}, 422, "invalid_request"),
        ({"data": {"text": DRAFT, "k": "many"}}, 422, "invalid_request"),
        (
            {"files": {"file": ("draft.exe", b"MZ\x90\x00", "application/octet-stream")}},
            415,
            "unsupported_media_type",
        ),
        (
            {"files": {"file": ("draft.pdf", b"this is not a pdf at all", "application/pdf")}},
            415,
            "wrong_type",
        ),
        ({"files": {"file": ("draft.txt", b"", "text/plain")}}, 422, "empty"),
    ],
)
def test_precedent_refusals(client: TestClient, kwargs: dict, status: int, code: str) -> None:
    r = client.post("/api/precedent", **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_precedent_oversized_upload_is_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_file_mb": 1})
    with TestClient(create_app(small, warm=False)) as c:
        big = b"word " * 250_000  # 1.25 MB
        r = c.post("/api/precedent", files={"file": ("draft.txt", big, "text/plain")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_precedent_strength_cutoff_and_filters(client: TestClient) -> None:
    everything = client.post("/api/precedent", json={"text": DRAFT, "k": 10}).json()
    reports = everything["reports"]
    assert len(reports) >= 2 and everything["below_cutoff"] == 0
    for rep in reports:  # strength follows the score, so a weak match never looks strong
        score = rep["score"]
        expected = (
            "strong" if score >= STRONG_MATCH else "moderate" if score >= MODERATE_MATCH else "weak"
        )
        assert rep["strength"] == expected
    cutoff = (reports[0]["score"] + reports[-1]["score"]) / 2
    kept = client.post(
        "/api/precedent", json={"text": DRAFT, "k": 10, "min_similarity": cutoff}
    ).json()
    assert kept["reports"] and all(r["score"] >= cutoff for r in kept["reports"])
    assert len(kept["reports"]) + kept["below_cutoff"] == len(reports)
    assert all(m["similarity"] >= cutoff for r in kept["reports"] for m in r["passages"])
    welsh = client.post(
        "/api/precedent", json={"text": DRAFT, "filters": {"nations": ["Wales"]}}
    ).json()
    assert welsh["reports"] and {r["report"]["nation"] for r in welsh["reports"]} == {"Wales"}
    r = client.post("/api/precedent", json={"text": DRAFT, "min_similarity": 2})
    assert r.status_code == 422
    many = {"text": DRAFT, "filters": {"report_ids": [f"r{i}" for i in range(40_000)]}}
    r = client.post("/api/precedent", json=many)  # more values than SQLite takes: refused
    assert r.status_code == 422 and "at most 100" in r.text
