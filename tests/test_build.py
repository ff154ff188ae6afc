"""A build of a small newsletter into a temporary directory, checked against the output
contract in DESIGN.md."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest


class Page(HTMLParser):
    """Text and links of one built page."""

    def __init__(self, path: Path):
        super().__init__()
        self.links: dict[str, list[str]] = {}  # href -> the text of each link to it
        self.text: list[str] = []
        self._href: str | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.links.setdefault(self._href, []).append("")

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        self.text.append(data)
        if self._href is not None:
            self.links[self._href][-1] += data

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def site(tree, tmp_path) -> Path:
    report = tree()
    assert (report.issues, report.articles, report.series, report.topics) == (2, 3, 1, 2)
    return tmp_path / "output"


def test_output_contract_pages_exist(site):
    for name in [
        "index.html",
        "issues/1/index.html",
        "issues/2/index.html",
        "issues/1/one/index.html",
        "issues/2/two/index.html",
        "series/index.html",
        "series/listen/index.html",
        "topics/index.html",
        "topics/listening/index.html",
        "topics/escalation/index.html",
        "feeds/all.atom.xml",
        "feeds/all.rss.xml",
        "feeds/all.json",
        "feeds/series/listen.atom.xml",
        "feeds/series/listen.rss.xml",
        "feeds/series/listen.json",
        "feeds/topics/listening.atom.xml",
        "feeds/topics/listening.rss.xml",
        "feeds/topics/listening.json",
        "about/index.html",
        "subscribe/index.html",
        "unsubscribe/index.html",
        "archive/index.html",
        "search/index.html",
        "pagefind/pagefind-ui.js",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "issues/2/workshop/event.ics",
        "theme/css/style.css",
        "theme/favicon.svg",
    ]:
        assert (site / name).is_file(), name


def test_home_shows_the_latest_issue_then_recent_ones_and_the_archive(site):
    page = Page(site / "index.html")
    words = page.words
    assert "Latest issue · #2 · Jan 14, 2025 Listening, again" in words
    assert "Listening again" in page.links["/issues/2/two/"]  # the latest issue's articles
    assert words.index("Listening, again") < words.index("Recent issues")
    assert "#1 · Jan 7, 2025 Listening first The first one" in words  # number, date, summary
    assert "Every issue, by year (2)" in page.links["/archive/"]


def test_archive_groups_every_issue_by_year_newest_first(tree, tmp_path):
    tree({"issues/003.md": "---\nnumber: 3\ndate: 2026-01-06\n---\nNew year.\n"})
    page = Page(tmp_path / "output/archive/index.html")
    words = page.words
    assert words.index("2026 1 issue") < words.index("#3") < words.index("2025 2 issues")
    assert words.index("#2 · Jan 14, 2025") < words.index("#1 · Jan 7, 2025")
    assert "2025" in page.links["#year-2025"]


def test_issue_page_is_headed_by_its_subject(site):
    page = Page(site / "issues/2/index.html")
    assert "Front Line · Issue #2 · Tuesday, January 14, 2025 Listening, again" in page.words
    html = (site / "issues/2/index.html").read_text()
    assert "<h1>Listening, again</h1>" in html
    assert "Listening again" in page.links["#two"]
    assert "part one" in page.links["/issues/1/one/"]  # {filename} link in the welcome
    assert "← Issue #1" in page.links["/issues/1/"]
    assert "When Monday, January 20, 2025, 5:30 PM Where Portsmouth Public Library" in page.words
    assert "https://example.org/register" in page.links["https://example.org/register"]


def test_article_series_box(site):
    page = Page(site / "issues/2/two/index.html")
    assert "Part 2 of 3 of LISTEN" in page.words
    assert "By Bo Chen and Ann Vale" in page.words
    assert "Listening first" in page.links["/issues/1/one/"]
    assert "← Previous part: Listening first" in page.links["/issues/1/one/"]
    assert "Summarise coming" in page.words
    assert "Next part, coming: Summarise" in page.words
    assert "About the LISTEN series" in page.links["/series/listen/"]
    assert "Listening" in page.links["/topics/listening/"]
    assert "Issue #2" in page.links["/issues/2/"]


def test_first_part_links_to_the_next(site):
    page = Page(site / "issues/1/one/index.html")
    assert "Part 1 of 3 of LISTEN" in page.words
    assert "Next part: Listening again →" in page.links["/issues/2/two/"]


def test_series_page_lists_published_and_planned_parts(site):
    page = Page(site / "series/listen/index.html")
    assert "2 of 3 published" in page.words
    assert "Listening first" in page.links["/issues/1/one/"]
    assert "Summarise coming" in page.words


def test_topical_index_a_to_z_with_issue_and_date(site):
    page = Page(site / "topics/index.html")
    words = page.words
    assert words.index("Escalation") < words.index("Listening")
    assert "Listening 2" in words  # the topic and how many articles it has
    assert "Listening" in page.links["/topics/listening/"]
    assert "L" in page.links["#letter-L"]


def test_topic_pages_list_newest_first(site):
    words = Page(site / "topics/listening/index.html").words
    assert "2 articles, newest first" in words
    assert words.index("Listening again") < words.index("Listening first")


def test_series_index_lists_running_series_before_completed_ones(tree, tmp_path):
    done = {
        "series/aaa.md": "---\ntitle: AAA done\nparts: [Only]\n---\nOne part.\n",
        "articles/only.md": "---\ntitle: Only\nissue: 1\nseries: aaa\npart: 1\n---\nx\n",
    }
    tree(done)
    words = Page(tmp_path / "output/series/index.html").words
    assert words.index("Running") < words.index("LISTEN") < words.index("Completed")
    assert words.index("Completed") < words.index("AAA done")


def test_topical_index_is_linked_from_every_page(site):
    for path in site.rglob("index.html"):
        assert "/topics/" in Page(path).links, path


def test_publisher_details_on_every_page(site):
    words = Page(site / "about/index.html").words
    assert "Harbour Lane Service Group, 14 Harbour Lane" in words
    assert "© 2024–2026 Harbour Lane Service Group" in words


def test_subscribe_page_form_posts_to_the_service(site):
    html = (site / "subscribe/index.html").read_text()
    assert 'action="https://frontline.example.org/service/subscribe"' in html
    assert 'name="website"' in html  # the honeypot
    assert html.index('name="address"') < html.index("Join us.")  # the form comes first


@pytest.mark.parametrize("page", ["index.html", "issues/2/index.html", "issues/2/two/index.html"])
def test_inline_subscribe_form_on_home_issue_and_article(site, page):
    html = (site / page).read_text()
    follows = html.count('type="hidden" name="series"')  # a series box's follow form
    assert follows == (1 if page.endswith("two/index.html") else 0)
    assert html.count('action="https://frontline.example.org/service/subscribe"') == 1 + follows
    assert 'type="email"' in html and 'name="website"' in html


def test_drafts_are_built_only_when_asked(tree, tmp_path):
    draft = {"issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\nSoon.\n"}
    tree(draft)
    assert not (tmp_path / "output/issues/3").exists()
    report = tree(draft, drafts=True)
    assert report.drafts == 1
    assert "DRAFT" in Page(tmp_path / "output/issues/3/index.html").words
    assert "/issues/3/" not in Page(tmp_path / "output/index.html").links


def test_pages_other_than_indexes_do_not_grow_with_the_archive(tree, tmp_path):
    """An issue page must not list the whole archive (the default theme's quadratic cost)."""
    extra = {
        f"issues/{n:03}.md": f"---\nnumber: {n}\ndate: 2025-02-{n:02}\n---\nIssue {n}.\n"
        for n in range(3, 23)
    }
    tree(extra)
    home = Page(tmp_path / "output/index.html").links
    assert len({h for h in home if h.startswith("/issues/") and h.count("/") == 3}) == 7
    issue_links = Page(tmp_path / "output/issues/2/index.html").links
    # its own articles (and the event's calendar file), the article it cites, and the
    # previous and next issues
    assert sorted(h for h in issue_links if h.startswith("/issues/")) == [
        "/issues/1/",
        "/issues/1/one/",
        "/issues/2/two/",
        "/issues/2/workshop/",
        "/issues/2/workshop/event.ics",
        "/issues/3/",
    ]


def test_front_matter_is_text_not_html(tree, tmp_path):
    tree(
        {
            "articles/x.md": """
                ---
                title: "Q&A: the <details> tag"
                issue: 2
                author: "<b>Bob</b>"
                topics: ["<svg onload=alert(1)>"]
                summary: 'He said "no"'
                ---
                Body with <em>inline HTML</em> the editor wrote on purpose.
                """
        }
    )
    html = (tmp_path / "output/issues/2/x/index.html").read_text()
    assert "<h1>Q&amp;A: the &lt;details&gt; tag</h1>" in html
    assert "By &lt;b&gt;Bob&lt;/b&gt;" in html
    assert "<svg" not in html
    assert 'content="He said &#34;no&#34;"' in html
    assert "<em>inline HTML</em>" in html  # the Markdown body stays HTML
    home = (tmp_path / "output/index.html").read_text()
    assert "<details>" not in home and "Q&amp;A: the &lt;details&gt; tag" in home


def test_edition_sources_are_the_bytes_the_build_read(tmp_path):
    """An edit saved while a build runs must make the edition stale, not look built from it."""
    import hashlib
    import json

    from masthead.build import load_settings
    from newsletter.edition import write_editions
    from newsletter.loader import load_newsletter
    from tests.conftest import MINIMAL, ROOT, write_tree

    content = write_tree(tmp_path, MINIMAL)
    settings = load_settings(ROOT / "pelicanconf.py", PATH=str(content))
    newsletter, _ = load_newsletter(content, tmp_path, settings["MARKDOWN"])
    article = content / "articles/two.md"
    read = "sha256:" + hashlib.sha256(article.read_bytes()).hexdigest()
    article.write_text(article.read_text() + "\nSaved during the build.\n")
    assert write_editions(newsletter, settings, tmp_path / "output", tmp_path) == []
    meta = json.loads((tmp_path / "output/editions/2/edition.json").read_text())
    assert meta["sources"]["content/articles/two.md"] == read


def test_search_page_without_javascript_points_to_the_topical_index(site):
    html = (site / "search/index.html").read_text()
    fallback = html[html.index("<noscript>") : html.index("</noscript>")]
    assert 'href="/topics/"' in fallback
    assert "data-pagefind-body" in (site / "issues/2/two/index.html").read_text()
    assert "data-pagefind-body" not in (site / "topics/index.html").read_text()  # listings


def many_topics(count: int = 500, per_article: int = 10) -> dict[str, str]:
    """Articles in issue 2 carrying `count` topics spread over every letter."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = [f"{letters[n % 26]}topic {n}" for n in range(count)]
    return {
        f"articles/t{start}.md": (
            f"---\ntitle: Topics {start}\nissue: 2\n"
            f"topics: [{', '.join(names[start : start + per_article])}]\n---\nText.\n"
        )
        for start in range(0, count, per_article)
    }


def test_topical_index_scales_to_500_topics(tree, tmp_path):
    report = tree(many_topics())
    assert report.topics == 500 + 2
    page = Page(tmp_path / "output/topics/index.html")
    topic_links = [
        href for href in page.links if href.startswith("/topics/") and href != "/topics/"
    ]
    assert len(topic_links) == 502  # each topic once, with its count; no article lists
    assert not [href for href in page.links if href.startswith("/issues/")]
    letters = [href for href in page.links if href.startswith("#letter-")]
    assert len(letters) == 26
    assert "Atopic 0 1" in page.words  # name, then how many articles
