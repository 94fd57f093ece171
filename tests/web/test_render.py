"""Fast checks of the web helpers that keep report text safe (no browser needed)."""

from __future__ import annotations

import pytest

from scrkb.models import ThemeTag
from scrkb.web.deps import safe_next
from scrkb.web.render import evidence_marked, marked, page_range, query_string


def test_render_marked_escapes_before_marking() -> None:
    snippet = 'Mum said "<b>fine</b>" & \x02bruise\x03 <script>x()</script>'
    html = str(marked(snippet))
    assert html == (
        "Mum said &#34;&lt;b&gt;fine&lt;/b&gt;&#34; &amp; <mark>bruise</mark> "
        "&lt;script&gt;x()&lt;/script&gt;"
    )


def test_render_marked_drops_unbalanced_markers() -> None:
    assert str(marked("cut \x02off")) == "cut off"


def test_render_evidence_marked_merges_overlaps_and_escapes() -> None:
    text = "a <b> & c said 'no'"
    tags = [
        ThemeTag(theme_id="x", confidence=0.9, evidence="", start=2, end=7),
        ThemeTag(theme_id="y", confidence=0.9, evidence="", start=5, end=9),
    ]
    assert str(evidence_marked(text, tags)) == (
        'a <mark class="scrkb-evidence">&lt;b&gt; &amp; c</mark> said &#39;no&#39;'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/?q=x#result-1", "/?q=x#result-1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("pack", "/"),
        ("", "/"),
    ],
)
def test_routes_safe_next_keeps_redirects_on_site(value: str, expected: str) -> None:
    assert safe_next(value) == expected


def test_render_query_string_and_pages() -> None:
    params = [("q", "a&b"), ("theme", "neglect"), ("page", "3")]
    assert query_string(params, page=None) == "q=a%26b&theme=neglect"
    assert page_range(5, 9) == [1, None, 4, 5, 6, None, 9]
    assert page_range(1, 2) == [1, 2]


def test_render_excerpt_cuts_around_the_first_mark_never_inside_one() -> None:
    from scrkb.web.render import excerpt

    words = " ".join(f"w{i}" for i in range(300))
    text = words + " the \x02bruise\x03 was seen " + words
    cut = excerpt(text, 200)
    assert "\x02bruise\x03" in cut
    assert cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= 205
    assert str(marked(cut)).count("<mark>") == 1
    assert excerpt("short \x02text\x03") == "short \x02text\x03"
