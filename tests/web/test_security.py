"""What every page sends and refuses: security headers, no inline script, CSRF checks on
every form that changes something, Secure cookies over HTTPS, HTML originals kept apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from scrkb.config import Settings
from tests.asgi import form_token

pytestmark = pytest.mark.slow

EVIL = "https://evil.example"


def _app(settings: Settings):  # noqa: ANN202
    from scrkb.app import create_app

    return create_app(settings, warm=False)


@pytest.fixture(scope="module")
def client(sample_home: Settings) -> Iterator[TestClient]:
    with TestClient(_app(sample_home), follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def ids(sample_home: Settings) -> dict[str, str]:
    from scrkb.index.store import Store

    with Store(sample_home.db_path, readonly=True) as store:
        html = store.execute("SELECT id FROM reports WHERE format = 'html' LIMIT 1")[0][0]
        pdf = store.execute("SELECT id FROM reports WHERE format = 'pdf' LIMIT 1")[0][0]
        passage = store.execute("SELECT id FROM passages ORDER BY rowid LIMIT 1")[0][0]
    return {"html": html, "pdf": pdf, "passage": passage}


def token_of(response) -> str:  # noqa: ANN001
    """The form token the page carries ("" if none: test_security_every_post_form_... fails)."""
    return form_token(response.text)


def fresh(client: TestClient) -> tuple[TestClient, str]:
    """A visitor with their own cookies, and the token the pages give them."""
    own = TestClient(client.app, follow_redirects=False)
    return own, token_of(own.get("/precedents"))


PAGES = [
    "/",
    "/?q=the+baby+was+not+seen",
    "/?q=x&from=abc",
    "/themes",
    "/themes/neglect",
    "/precedents",
    "/pack",
    "/reports",
    "/reports?sort=title&nation=Wales&theme=neglect",
    "/shared/no-such-token",
    "/support",
    "/no-such-page",
]


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_on_every_page(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'", "no inline script, no eval"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_security_report_page_headers(client: TestClient, ids: dict[str, str]) -> None:
    r = client.get(f"/reports/{ids['pdf']}")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("url", [*PAGES, "report"])
def test_security_pages_have_no_inline_script_or_style(
    client: TestClient, ids: dict[str, str], url: str
) -> None:
    url = f"/reports/{ids['pdf']}" if url == "report" else url
    soup = BeautifulSoup(client.get(url).text, "html.parser")
    inline = [s for s in soup.find_all("script") if not s.get("src")]
    assert not inline, inline
    assert not soup.find_all("style")
    styled = [el.name for el in soup.find_all(style=True)]
    assert not styled, styled
    handlers = [
        (el.name, attr) for el in soup.find_all(True) for attr in el.attrs if attr.startswith("on")
    ]
    assert not handlers, handlers


def test_security_docs_page_policy(client: TestClient) -> None:
    r = client.get("/docs")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    inline = [
        s for s in BeautifulSoup(r.text, "html.parser").find_all("script") if not s.get("src")
    ]
    import base64
    import hashlib

    for script in inline:  # the page's own inline script is allowed by its hash only
        digest = base64.b64encode(hashlib.sha256(script.string.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_security_every_post_form_carries_the_token(
    client: TestClient, ids: dict[str, str]
) -> None:
    own, token = fresh(client)
    own.post("/pack/items", data={"passage_id": ids["passage"], "csrf_token": token})
    for url in ["/", "/?q=the+baby+was+not+seen", "/precedents", "/pack", f"/reports/{ids['pdf']}"]:
        soup = BeautifulSoup(own.get(url).text, "html.parser")
        forms = soup.find_all("form", method="post")
        assert forms or url == "/precedents"
        for form in forms:
            field = form.find("input", attrs={"name": "csrf_token"})
            assert field is not None and field["value"] == token, (url, form.get("action"))


def test_security_foreign_origin_cannot_rename_a_pack(
    client: TestClient, ids: dict[str, str]
) -> None:
    own, token = fresh(client)
    r = own.post("/pack/items", data={"passage_id": ids["passage"], "csrf_token": token})
    assert r.status_code == 303
    pack_id = own.cookies.get("scrkb_pack")
    before = client.get(f"/api/packs/{pack_id}").json()["title"]
    r = own.post(
        "/pack", data={"title": "Renamed by evil", "csrf_token": token}, headers={"Origin": EVIL}
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert client.get(f"/api/packs/{pack_id}").json()["title"] == before
    r = own.post(
        "/pack",
        data={"title": "Renamed by me", "csrf_token": token},
        headers={"Origin": "http://testserver"},
    )
    assert r.status_code == 303
    assert client.get(f"/api/packs/{pack_id}").json()["title"] == "Renamed by me"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/pack/items", {"passage_id": "x"}),
        ("/pack", {"title": "t"}),
        ("/content-notice", {"next": "/"}),
        ("/precedents", {"draft": "the baby was not seen by anyone at all in the home"}),
    ],
)
def test_security_forms_need_the_token(client: TestClient, path: str, data: dict) -> None:
    own, token = fresh(client)
    assert own.post(path, data=data).status_code == 403, "no token"
    other, other_token = fresh(client)
    r = own.post(path, data={**data, "csrf_token": other_token})
    assert r.status_code == 403, "someone else's token"
    r = own.post(path, data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_security_cookies_are_secure_when_configured(sample_home: Settings) -> None:
    secure = sample_home.model_copy(update={"secure_cookies": True})
    with TestClient(_app(secure), follow_redirects=False) as c:
        page = c.get("/precedents")  # behind a TLS proxy that does not say so
        token = token_of(page)
        # a client over plain HTTP never sends a Secure cookie back: send it by hand
        r = c.post(
            "/content-notice",
            data={"next": "/", "csrf_token": token},
            headers={"Cookie": f"scrkb_csrf={token}"},
        )
        assert r.status_code == 303
        cookies = [*page.headers.get_list("set-cookie"), *r.headers.get_list("set-cookie")]
        assert len(cookies) == 3 and all("Secure" in cookie for cookie in cookies), cookies
        assert "max-age=" in r.headers.get("strict-transport-security", "")


def test_security_cookies_are_secure_over_https(sample_home: Settings) -> None:
    with TestClient(_app(sample_home), base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/precedents")
        token = token_of(page)
        r = c.post("/content-notice", data={"next": "/", "csrf_token": token})
        cookies = [*page.headers.get_list("set-cookie"), *r.headers.get_list("set-cookie")]
        assert cookies and all("Secure" in cookie for cookie in cookies), cookies


def test_security_plain_http_cookies_are_not_secure(client: TestClient) -> None:
    own, token = fresh(client)
    r = own.post("/content-notice", data={"next": "/", "csrf_token": token})
    assert r.status_code == 303
    assert all("Secure" not in c for c in r.headers.get_list("set-cookie"))


def test_security_html_original_is_an_attachment_in_a_sandbox(
    client: TestClient, ids: dict[str, str]
) -> None:
    r = client.get(f"/api/reports/{ids['html']}/original")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in r.headers["content-security-policy"]
    pdf = client.get(f"/api/reports/{ids['pdf']}/original")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
