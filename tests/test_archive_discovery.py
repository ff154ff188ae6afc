"""What readers' tools see of the archive: feeds, sharing tags, JSON-LD, sitemap, robots,
404, favicon, calendar files. Every file is read back with a real parser."""

from __future__ import annotations

import datetime
import json
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import icalendar
import pytest

from masthead.build import build
from tests.conftest import MINIMAL, ROOT, TODAY, write_tree

BASE = "https://frontline.example.org"
SUMMARY = 'Why a "good listener" </script> hears the case twice.'
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class Head(HTMLParser):
    """<meta>, <link> and JSON-LD scripts of one page."""

    def __init__(self, path: Path):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.jsonld: list[str] = []
        self._script: str | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._script = ""

    def handle_data(self, data):
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.jsonld.append(self._script)
            self._script = None

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def rel(self, rel: str) -> list[dict]:
        return [link for link in self.links if link.get("rel") == rel]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """MINIMAL with a summary that tries to end a script and an image: built once here."""
    root = tmp_path_factory.mktemp("discovery")
    one = textwrap.dedent(MINIMAL["articles/one.md"])
    one = one.replace("part: 1\n", f"part: 1\nsummary: {SUMMARY!r}\n")
    changes = {
        "articles/one.md": one + "![A relay baton]({static}/images/relay.png)\n",
        "images/relay.png": "not really a png",
    }
    content = write_tree(root, {**MINIMAL, **changes})
    extra = {"NEWSLETTER_TODAY": TODAY}
    build(ROOT / "pelicanconf.py", root / "output", content=content, extra=extra)
    return root / "output"


FEEDS = [
    ("feeds/all", ["Front Line #2: Listening, again", "Front Line #1: Listening first"]),
    ("feeds/series/listen", ["Part 2 of 3: Listening again", "Part 1 of 3: Listening first"]),
    ("feeds/topics/listening", ["Part 2 of 3: Listening again", "Part 1 of 3: Listening first"]),
]


@pytest.mark.parametrize("suffix", [".atom.xml", ".rss.xml", ".json"])
@pytest.mark.parametrize(("stem", "titles"), FEEDS)
def test_feeds_parse_with_full_text_and_absolute_links(site, stem, titles, suffix):
    entries = read_feed(site / f"{stem}{suffix}")
    assert [title for title, _, _, _ in entries] == titles
    for _, link, published, _ in entries:
        assert link.startswith(f"{BASE}/issues/")
        assert published
    text = entries[-1][3]
    assert "Body of <em>one</em>" in text  # the article itself, not a link list
    assert f'src="{BASE}/images/relay.png"' in text
    assert 'href="/' not in text and 'src="/' not in text


def read_feed(path: Path) -> list[tuple[str, str, str, str]]:
    """(title, link, published, full HTML) of each entry: Atom and RSS through feedparser,
    JSON Feed (which feedparser 6 does not read) through json against the 1.1 spec's fields."""
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert data["title"] and data["home_page_url"].startswith(BASE)
        items = data["items"]
        return [(i["title"], i["url"], i["date_published"], i["content_html"]) for i in items]
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("atom10" if path.name.endswith(".atom.xml") else "rss20")
    assert parsed.feed.link.startswith(BASE)
    return [
        (e.title, e.link, e.published, e.content[0].value if "content" in e else e.summary)
        for e in parsed.entries
    ]


def test_json_feed_is_version_1_1_with_absolute_feed_url(site):
    data = json.loads((site / "feeds/all.json").read_text())
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == f"{BASE}/feeds/all.json"
    assert data["items"][0]["date_published"] == "2025-01-14T00:00:00+00:00"
    assert data["items"][0]["authors"] == [{"name": "Ann Vale"}, {"name": "Bo Chen"}]


@pytest.mark.parametrize(
    ("page", "stems"),
    [
        ("index.html", ["feeds/all"]),
        ("series/listen/index.html", ["feeds/all", "feeds/series/listen"]),
        ("topics/listening/index.html", ["feeds/all", "feeds/topics/listening"]),
    ],
)
def test_pages_advertise_their_feeds(site, page, stems):
    links = Head(site / page).rel("alternate")
    hrefs = sorted(link["href"] for link in links)
    expected = sorted(f"/{s}{x}" for s in stems for x in (".atom.xml", ".rss.xml", ".json"))
    assert hrefs == expected
    types = {link["type"] for link in links}
    assert types == {"application/atom+xml", "application/rss+xml", "application/feed+json"}
    for link in links:
        assert (site / link["href"].lstrip("/")).is_file()


def test_article_sharing_tags_and_news_article_jsonld(site):
    head = Head(site / "issues/1/one/index.html")
    url = f"{BASE}/issues/1/one/"
    assert head.rel("canonical") == [{"rel": "canonical", "href": url}]
    assert head.one("og:url") == url
    assert head.one("og:type") == "article"
    assert head.one("og:title") == head.one("twitter:title") == "Listening first — Front Line #1"
    summary = SUMMARY
    assert head.one("description") == head.one("og:description") == summary
    assert head.one("og:image") == head.one("twitter:image") == f"{BASE}/images/relay.png"
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("article:published_time") == "2025-01-07"
    (script,) = head.jsonld
    assert "</" not in script  # the summary's </script> cannot end the element
    data = json.loads(script)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Listening first"
    assert data["description"] == summary
    assert data["datePublished"] == "2025-01-07"
    assert data["author"] == [{"@type": "Person", "name": "Ann Vale"}]
    assert data["image"] == [f"{BASE}/images/relay.png"]
    assert data["isPartOf"]["@type"] == "PublicationIssue"
    assert data["isPartOf"]["issueNumber"] == "1"


def test_an_article_without_an_image_has_a_small_card(site):
    head = Head(site / "issues/2/two/index.html")
    assert head.one("twitter:card") == "summary"
    assert "og:image" not in head.meta


def test_issue_publication_issue_jsonld(site):
    head = Head(site / "issues/2/index.html")
    (script,) = head.jsonld
    data = json.loads(script)
    assert data["@type"] == "PublicationIssue"
    assert data["issueNumber"] == "2"
    assert data["name"] == "Listening, again"
    assert data["url"] == f"{BASE}/issues/2/"
    assert data["isPartOf"] == {"@type": "Periodical", "name": "Front Line", "url": f"{BASE}/"}
    assert [part["url"] for part in data["hasPart"]] == [
        f"{BASE}/issues/2/two/",
        f"{BASE}/issues/2/workshop/",
    ]


def test_sitemap_lists_every_page_with_lastmod_and_robots_points_at_it(site):
    root = ET.parse(site / "sitemap.xml").getroot()
    listed = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    pages = {
        f"{BASE}/{p.parent.relative_to(site).as_posix()}/".replace(f"{BASE}/./", f"{BASE}/")
        for p in site.rglob("index.html")
        if "editions" not in p.parts
    }
    assert set(listed) == pages
    assert listed[f"{BASE}/issues/1/one/"] == "2025-01-07"
    assert listed[f"{BASE}/"] == "2025-01-14"
    for lastmod in listed.values():
        datetime.date.fromisoformat(lastmod)
    robots = (site / "robots.txt").read_text()
    assert f"Sitemap: {BASE}/sitemap.xml" in robots.splitlines()


def test_drafts_carry_noindex_and_stay_out_of_the_sitemap(tree, tmp_path):
    draft = {
        "issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\nSoon.\n",
        "articles/soon.md": "---\ntitle: Soon\nissue: 3\n---\nLater.\n",
    }
    tree(draft, drafts=True)
    site = tmp_path / "output"
    for page in ("issues/3/index.html", "issues/3/soon/index.html"):
        assert Head(site / page).one("robots") == "noindex"
    assert "robots" not in Head(site / "issues/2/index.html").meta
    assert "/issues/3/" not in (site / "sitemap.xml").read_text()
    assert "Soon" not in (site / "feeds/all.json").read_text()


def test_404_page_and_favicon(site):
    head = Head(site / "404.html")
    assert head.one("robots") == "noindex"
    assert head.rel("canonical") == []
    assert "Page not found" in (site / "404.html").read_text()
    (icon,) = head.rel("icon")
    svg = ET.parse(site / icon["href"].lstrip("/")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"


# --- events ----------------------------------------------------------------------------------


def test_each_event_has_an_ics_that_parses(site):
    calendar = icalendar.Calendar.from_ical((site / "issues/2/workshop/event.ics").read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "A workshop on handoffs"
    start = event.decoded("dtstart")
    assert start.isoformat() == "2025-01-20T17:30:00-05:00"  # the newsletter's TIMEZONE
    assert str(event["location"]) == "Portsmouth Public Library"
    assert str(event["url"]) == f"{BASE}/issues/2/workshop/"
    assert "@frontline.example.org" in str(event["uid"])
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    page = (site / "issues/2/workshop/index.html").read_text()
    assert 'href="/issues/2/workshop/event.ics"' in page and "Add to calendar" in page


def test_past_events_are_marked_past_relative_to_the_build_date(tree, tmp_path):
    page = tmp_path / "output/issues/2/workshop/index.html"
    tree(extra={"NEWSLETTER_TODAY": "2025-01-20"})  # the day itself: still to come
    assert "This event has passed" not in page.read_text()
    tree(extra={"NEWSLETTER_TODAY": datetime.date(2025, 1, 21)})
    html = page.read_text()
    assert "This event has passed" in html
    assert "Add to calendar" not in html


def test_phone_numbers_in_register_become_tel_links(tree, tmp_path):
    tree(
        {
            "articles/call.md": """
                ---
                title: Call us
                issue: 2
                section: Events
                event_date: 2025-02-01
                register: "Call 603-555-0142 or <b>+44 20 7946 0958</b> by Friday"
                ---
                Ring.
                """
        }
    )
    html = (tmp_path / "output/issues/2/call/index.html").read_text()
    assert 'Call <a href="tel:+16035550142">603-555-0142</a> or &lt;b&gt;' in html
    assert '<a href="tel:+442079460958">+44 20 7946 0958</a>&lt;/b&gt; by Friday' in html


def test_contact_links_search_a_bounded_prefix_and_lose_nothing():
    from newsletter.events import MAX_REGISTER, contact_links

    hostile = "1-" * 50_000 + " 603-555-0142"  # a number only past the searched prefix
    pieces = contact_links(hostile)
    assert "".join(words for words, _ in pieces) == hostile  # nothing lost
    assert [href for _, href in pieces if href] == []
    near = "x" * (MAX_REGISTER - 20) + " 603-555-0142"
    assert [href for _, href in contact_links(near) if href] == ["tel:+16035550142"]
