"""Request bodies are bounded on every route, and checked while they are read.

Each test offers the body chunk by chunk without a Content-Length (what a chunked
upload looks like to the app) and counts what the app took: a refused upload must be
refused before it has been read (no token), or as soon as it passes its limit (too big),
and nothing may be left on disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scrkb.app import create_app
from scrkb.config import Settings
from scrkb.reference import DRAFT_BODY_LIMIT, JSON_BODY_LIMIT, PACK_FORM_LIMIT
from tests.asgi import call, form_token, multipart, zeros

MB = 2**20
SLACK = 256 * 1024  # what may be read past a limit: one chunk and the multipart framing


@pytest.fixture()
def app(tmp_path: Path):  # noqa: ANN201
    return create_app(
        Settings(home=tmp_path / "home", admin_token="tok", max_file_mb=1), warm=False
    )


def _csrf(app) -> dict[str, str]:  # noqa: ANN001
    """The form token and its cookie, as a browser gets them from the page."""
    page = call(app, "GET", "/precedents")
    cookies = "; ".join(c.split(";")[0] for c in page.set_cookies)
    return {"token": form_token(page.text), "cookie": cookies}


def test_request_limits_json_body_is_refused_while_reading(app) -> None:  # noqa: ANN001
    chunks = [b'{"title": "', *zeros(8 * MB), b'"}']
    answer = call(
        app, "POST", "/api/packs", headers={"content-type": "application/json"}, chunks=chunks
    )
    assert answer.status == 413, answer.text
    assert answer.json()["error"]["code"] == "too_large"
    assert answer.bytes_read <= JSON_BODY_LIMIT + SLACK


def test_request_limits_declared_length_is_refused_before_reading(app) -> None:  # noqa: ANN001
    answer = call(
        app,
        "PATCH",
        "/api/packs/p123",
        headers={"content-type": "application/json", "content-length": str(50 * MB)},
        chunks=zeros(50 * MB),
    )
    assert answer.status == 413 and answer.bytes_read == 0


def test_request_limits_admin_upload_without_token_reads_nothing(app, tmp_path: Path) -> None:  # noqa: ANN001
    ctype, body = multipart([("files", "big.pdf", zeros(20 * MB))])
    answer = call(app, "POST", "/api/ingest", headers={"content-type": ctype}, chunks=body)
    assert answer.status == 401
    assert answer.bytes_read == 0, "the token is checked before the upload is read"
    uploads = tmp_path / "home" / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_request_limits_admin_upload_over_the_file_limit(app, tmp_path: Path) -> None:  # noqa: ANN001
    ctype, body = multipart([("files", "big.pdf", zeros(20 * MB))])
    answer = call(
        app,
        "POST",
        "/api/ingest",
        headers={"content-type": ctype, "authorization": "Bearer tok"},
        chunks=body,
    )
    assert answer.status == 413, answer.text
    assert "1 MB" in answer.json()["error"]["message"]
    assert answer.bytes_read <= 1 * MB + SLACK
    uploads = tmp_path / "home" / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_request_limits_precedent_upload_is_refused_while_reading(app) -> None:  # noqa: ANN001
    ctype, body = multipart([("file", "draft.pdf", zeros(20 * MB))], {"k": "3"})
    answer = call(app, "POST", "/api/precedent", headers={"content-type": ctype}, chunks=body)
    assert answer.status == 413, answer.text
    assert answer.bytes_read <= 1 * MB + SLACK


def test_request_limits_web_precedent_upload_is_refused_while_reading(app) -> None:  # noqa: ANN001
    csrf = _csrf(app)
    ctype, body = multipart(
        [("upload", "draft.pdf", zeros(20 * MB))], {"csrf_token": csrf["token"], "draft": ""}
    )
    answer = call(
        app,
        "POST",
        "/precedents",
        headers={"content-type": ctype, "cookie": csrf["cookie"], "accept": "text/html"},
        chunks=body,
    )
    assert answer.status == 413, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.bytes_read <= 1 * MB + SLACK


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/pack", PACK_FORM_LIMIT),
        ("/pack/items", JSON_BODY_LIMIT),
        ("/content-notice", JSON_BODY_LIMIT),
        ("/precedents", DRAFT_BODY_LIMIT),
    ],
)
def test_request_limits_web_forms_are_bounded(app, path: str, limit: int) -> None:  # noqa: ANN001
    answer = call(
        app,
        "POST",
        path,
        headers={"content-type": "application/x-www-form-urlencoded"},
        chunks=[b"next=/&passage_id=", *zeros(20 * MB)],
    )
    assert answer.status == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.bytes_read <= limit + SLACK


@pytest.mark.parametrize("ctype", ["application/json", "application/x-www-form-urlencoded"])
def test_request_limits_precedent_text_is_bounded(app, ctype: str) -> None:  # noqa: ANN001
    answer = call(
        app,
        "POST",
        "/api/precedent",
        headers={"content-type": ctype},
        chunks=[b'{"text": "', *zeros(20 * MB)],
    )
    assert answer.status == 413 and answer.json()["error"]["code"] == "too_large"
    assert answer.bytes_read <= DRAFT_BODY_LIMIT + SLACK
