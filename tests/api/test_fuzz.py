"""Property-based fuzzing of the search and precedent parameters (hypothesis): whatever
is sent, the answer is never a 5xx, and the pages answer in HTML.

The strategies mix plain values with the shapes that broke things before: digits that
are digits only to ``str.isdigit`` ("²", "٣"), 5,000-digit numbers, signs doubled,
control characters and NUL, very long text, lists where one value is expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrkb.app import create_app
from scrkb.config import Settings
from tests.asgi import form_token

EXAMPLES = 120

WEIRD_NUMBERS = st.sampled_from(
    [
        "²",
        "¹⁰",
        "٣",
        "٢٠١٥",
        "--1",
        "-1",
        "+5",
        "1e3",
        "0x10",
        "1_0",
        " 7 ",
        "1.5",
        "",
        "9" * 5000,
        "-" + "9" * 30,
        "2015\x00",
        "NaN",
        "∞",
    ]
)
NUMBERS = st.one_of(
    WEIRD_NUMBERS,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(max_size=12),
)
TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=1500),
    st.sampled_from(
        [
            "the baby was not seen",
            '"unbalanced',
            "a OR b NOT c*",
            "\x00\x01",
            "x" * 1200,
            "NEAR(a b)",
            "^$*",
        ]
    ),
)
IDS = st.one_of(
    st.sampled_from(["neglect", "domestic_abuse", "scr", "England", "1-4"]), st.text(max_size=30)
)


def _many(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(strategy, max_size=4)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def token(client: TestClient) -> str:
    return form_token(client.get("/precedents").text)


@st.composite
def query_params(draw: st.DrawFn, spec: dict[str, st.SearchStrategy]) -> list[tuple[str, str]]:
    """Some of the parameters in ``spec``, each drawn from its strategy (lists repeat)."""
    params: list[tuple[str, str]] = []
    for name, strategy in spec.items():
        if draw(st.booleans()):
            values = draw(strategy)
            params += [(name, v) for v in (values if isinstance(values, list) else [values])]
    return params


API_SEARCH = {
    "q": TEXT,
    "theme": _many(IDS),
    "year_from": NUMBERS,
    "year_to": NUMBERS,
    "review_type": _many(IDS),
    "nation": _many(IDS),
    "age_band": _many(IDS),
    "partnership": _many(IDS),
    "report_id": _many(IDS),
    "k": NUMBERS,
    "offset": NUMBERS,
    "mode": st.sampled_from(["hybrid", "bm25", "dense", "HYBRID", "", "x"]),
    "facets": st.sampled_from(["true", "false", "1", "0", "maybe", ""]),
}
WEB_SEARCH = {
    "q": TEXT,
    "theme": _many(IDS),
    "type": _many(IDS),
    "nation": _many(IDS),
    "age": _many(IDS),
    "from": NUMBERS,
    "to": NUMBERS,
    "page": NUMBERS,
}


@st.composite
def precedent_fields(draw: st.DrawFn) -> dict[str, str]:
    fields = dict(draw(query_params({"k": NUMBERS, "passages_per_report": NUMBERS})))
    fields["text"] = draw(
        st.one_of(
            TEXT,
            st.just("The health visitor did not see the baby, and nobody asked who lived there."),
        )
    )
    return fields


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.mark.parametrize(
    ("path", "spec", "media"),
    [("/api/search", API_SEARCH, "application/json"), ("/", WEB_SEARCH, "text/html")],
    ids=["api", "page"],
)
@FUZZ
@given(data=st.data())
def test_fuzz_search(
    client: TestClient, path: str, spec: dict, media: str, data: st.DataObject
) -> None:
    params = data.draw(query_params(spec))
    r = client.get(path, params=params)
    assert r.status_code < 500, (params, r.text[:300])
    assert r.headers["content-type"].startswith(media)


@settings(FUZZ, max_examples=EXAMPLES // 3)
@given(
    fields=precedent_fields(),
    how=st.sampled_from(["json", "form", "multipart", "file"]),
    raw_json=st.booleans(),
)
def test_fuzz_api_precedent(
    client: TestClient, fields: dict[str, str], how: str, raw_json: bool
) -> None:
    if how == "json":
        body: dict = dict(fields)
        if not raw_json:  # numbers as JSON numbers where they parse
            body = {k: (int(v) if re.fullmatch(r"-?\d{1,6}", v) else v) for k, v in body.items()}
        r = client.post("/api/precedent", json=body)
    elif how == "form":
        r = client.post("/api/precedent", data=fields)
    elif how == "multipart":
        r = client.post("/api/precedent", files={"x": ("", b"")}, data=fields)
    else:
        text = fields.pop("text")
        r = client.post(
            "/api/precedent",
            data=fields,
            files={"file": ("draft.txt", text.encode("utf-8", "replace"), "text/plain")},
        )
    assert r.status_code < 500, (how, fields, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")


@settings(FUZZ, max_examples=EXAMPLES // 4)
@given(draft=TEXT, multipart=st.booleans())
def test_fuzz_web_precedents(client: TestClient, token: str, draft: str, multipart: bool) -> None:
    data = {"csrf_token": token, "draft": draft}
    if multipart:
        r = client.post("/precedents", data=data, files={"upload": ("", b"")})
    else:
        r = client.post("/precedents", data=data)
    assert r.status_code < 500, (draft[:80], r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
