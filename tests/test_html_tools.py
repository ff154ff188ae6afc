"""html_tools: href/src rewritten by parsing, void tags closed, the rest left byte for byte."""

from __future__ import annotations

from newsletter.html_tools import audit, rewrite_links
from newsletter.links import Absolutiser


def test_rewrite_reads_every_quoting_and_escapes_what_it_writes():
    html = (
        "<p>a &amp; b</p><a href='/x?a=1&amp;b=2' class=k>x</a>"
        '<a HREF=/y>y</a><img src="/i.png" alt="An &quot;i&quot;"><br>'
        "<!-- <a href='/in-a-comment'> --><script>var s = '<a href=\"/z\">';</script>"
    )
    seen: list[str] = []

    def change(url: str) -> str:
        seen.append(url)
        return "https://example.org" + url

    out = rewrite_links(html, change)
    assert seen == ["/x?a=1&b=2", "/y", "/i.png"]  # values as the browser reads them
    assert '<a href="https://example.org/x?a=1&amp;b=2" class="k">x</a>' in out
    assert '<a href="https://example.org/y">y</a>' in out
    assert '<img src="https://example.org/i.png" alt="An &quot;i&quot;" />' in out
    assert out.startswith("<p>a &amp; b</p>") and "<br />" in out
    assert "<!-- <a href='/in-a-comment'> -->" in out and "'<a href=\"/z\">'" in out


def test_absolutiser_reports_what_stays_relative():
    links = Absolutiser("https://news.example.org")
    html, relative = links.rewrite_html('<a href="../up.html">u</a><a href="/ok/">o</a>')
    assert relative == ["../up.html"]
    assert 'href="https://news.example.org/ok/"' in html


def test_audit_finds_urls_and_missing_alt_in_one_pass():
    found = audit('<a href="/a">a</a><img src="b.png"><img src="c.png" alt="C"/>')
    assert found.urls == ["/a", "b.png", "c.png"]
    assert found.missing_alt == ["b.png"]
