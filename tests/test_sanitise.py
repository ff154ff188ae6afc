"""Raw HTML in Markdown is sanitised by an allowlist (nh3), the same for the web and the email:
what could run code never reaches the article page, the issue page or the edition, and each
removal is a `path:line` warning that `check` fails on."""

from __future__ import annotations

import pytest

from newsletter.sanitise import removed, sanitise, unsafe_url
from tests.cli_helpers import one_line_error

pytestmark = pytest.mark.timeout(120)

# (Markdown line, marker that must not reach any output, what the warning names)
HOSTILE = [
    ('<script>alert("XSS01")</script>', "XSS01", "removed <script>"),
    (
        '<img src="https://example.org/a.png" alt="a" onerror="XSS02()">',
        "XSS02",
        "removed the onerror attribute",
    ),
    ("[click](javascript:XSS03)", "XSS03", "removed the link 'javascript:XSS03'"),
    ('<a href="JaVaScRiPt:XSS04()">x</a>', "XSS04", "removed the link"),
    ('<a href="java&#x09;script:XSS05()">x</a>', "XSS05", "removed the link"),
    ('<a href="vbscript:XSS06">x</a>', "XSS06", "removed the link 'vbscript:XSS06'"),
    ("![chart](data:image/png;base64,XSS07)", "XSS07", "removed the link 'data:image/png;"),
    ('<iframe src="https://evil.example/XSS08"></iframe>', "XSS08", "removed <iframe>"),
    ('<form action="https://evil.example/XSS09"><input name="q"></form>', "XSS09", "<form>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/XSS10">', "XSS10", "<meta>"),
    ('<base href="https://evil.example/XSS11/">', "XSS11", "removed <base>"),
    ('<object data="https://evil.example/XSS12"></object>', "XSS12", "removed <object>"),
    ('<embed src="https://evil.example/XSS13">', "XSS13", "removed <embed>"),
    ('<p onclick="XSS14()">Click</p>', "XSS14", "removed the onclick attribute of <p>"),
    ("<style>body { background: url(XSS15) }</style>", "XSS15", "removed <style>"),
    ('<svg onload="XSS16()"></svg>', "XSS16", "removed <svg>"),
]


def hostile_article() -> str:
    body = "\n\n".join(line for line, _marker, _what in HOSTILE)
    return f"---\ntitle: Hostile\nissue: 2\n---\nFirst line.\n\n{body}\n\nLast line kept.\n"


def body_line(index: int) -> int:
    return 7 + 2 * index  # front matter is 4 lines, then "First line." and a blank line


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    from tests.conftest import MINIMAL, ROOT, site, write_tree

    root = tmp_path_factory.mktemp("hostile")
    content = write_tree(root, {**MINIMAL, "articles/hostile.md": hostile_article()})
    report = site.build(ROOT / "pelicanconf.py", root / "output", content=content)
    return root / "output", report


@pytest.mark.parametrize(
    "page",
    [
        "issues/2/hostile/index.html",
        "issues/2/index.html",
        "editions/2/email.html",
        "editions/2/email.txt",
    ],
)
def test_nothing_that_runs_code_reaches_the_pages_or_the_email(hostile_build, page):
    output, _report = hostile_build
    text = (output / page).read_text(encoding="utf-8")
    assert "Last line kept." in text
    leaked = [marker for _line, marker, _what in HOSTILE if marker in text]
    assert leaked == []


def test_each_removal_is_a_warning_at_its_line(hostile_build):
    _output, report = hostile_build
    warnings = [w for w in report.warnings if "removed" in w.message]
    assert all(w.fails_check and w.path == "content/articles/hostile.md" for w in warnings)
    shown = [str(w) for w in warnings]
    for index, (_line, _marker, what) in enumerate(HOSTILE):
        prefix = f"content/articles/hostile.md:{body_line(index)}: warning: "
        assert any(s.startswith(prefix) and what in s for s in shown), (what, shown)


def test_ordinary_markdown_loses_nothing():
    html = (
        '<p>A <a href="https://example.org/x" title="t">link</a>, '
        '<a href="{filename}other.md">another</a>, <a href="/issues/3/">a third</a>, '
        '<a href="mailto:a@example.org">mail</a>.<sup id="fnref:1">'
        '<a class="footnote-ref" href="#fn:1">1</a></sup></p>\n'
        '<table><thead><tr><th style="text-align: left;">a</th></tr></thead></table>\n'
        '<img alt="chart" src="{static}/images/chart.png" title="Chart">\n'
        '<pre><code class="language-python">x &lt; y\n</code></pre>'
    )
    cleaned, problems = sanitise(html, "", "content/articles/x.md", 5)
    assert problems == []
    assert removed(html, cleaned) == []
    assert 'href="{filename}other.md"' in cleaned


@pytest.mark.parametrize(
    ("url", "unsafe"),
    [
        ("javascript:alert(1)", True),
        (" JAVA\tSCRIPT:alert(1)", True),
        ("data:text/html,x", True),
        ("https://example.org/", False),
        ("/issues/3/", False),
        ("{static}/images/a.png", False),
        ("x.md#part:2", False),
    ],
)
def test_unsafe_urls(url, unsafe):
    assert unsafe_url(url) is unsafe


def test_check_fails_on_removed_html(editor):
    editor.write({"articles/workshop.md": hostile_article()})
    result = editor.run("check")
    assert one_line_error(result, 1).endswith("problems found by check")
    assert "content/articles/workshop.md:7: removed <script>" in result.stderr


def test_a_page_is_sanitised_too(tree, tmp_path):
    page = "Title: About\nSlug: about\n\nAbout us.\n\n<script>alert('XSS20')</script>\n"
    report = tree({"pages/about.md": page})
    html = (tmp_path / "output/about/index.html").read_text(encoding="utf-8")
    assert "About us." in html and "XSS20" not in html
    (warning,) = [w for w in report.warnings if "removed <script>" in w.message]
    assert str(warning).startswith("content/pages/about.md:6: warning: removed <script>")


def test_a_reference_to_a_control_character_is_dropped(tree, tmp_path):
    tree({"articles/x.md": "---\ntitle: X\nissue: 2\n---\nA &#1 b &#x1b; c &#27\n"})
    html = (tmp_path / "output/issues/2/x/index.html").read_text(encoding="utf-8")
    assert "\x01" not in html and "\x1b" not in html
    assert "A" in html and "c" in html
