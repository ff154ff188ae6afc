"""The repository's sample newsletter: shaped like the reference newsletters, built cleanly,
and accessible on every page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from masthead import build as site
from tests.conftest import ROOT


def test_sample_builds_without_warnings(tmp_path):
    report = site.build(ROOT / "pelicanconf.py", tmp_path / "output")
    assert report.warnings == []
    assert report.issues >= 6
    assert report.articles >= 30


def sample():
    from newsletter.loader import load_newsletter

    newsletter, _ = load_newsletter(ROOT / "content", ROOT, {}, include_drafts=True)
    return newsletter


def test_sample_spans_two_years_with_a_draft():
    newsletter = sample()
    years = {issue.date.year for issue in newsletter.published_issues}
    assert len(years) >= 2
    assert any(issue.is_draft for issue in newsletter.issues)


def test_sample_series_shapes():
    series = list(sample().series.values())
    shapes = {(s.total, len(s.published_parts)) for s in series}
    acronym = next(s for s in series if s.total == 6)
    numbers = [p.article.issue.number for p in acronym.published_parts]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # consecutive issues
    assert not acronym.complete
    assert any(s.complete and s.total > 2 for s in series)  # a series that ends
    assert (5, 1) in shapes  # a planned five-part series with one part out
    two_parts = [s for s in series if s.total == 2]
    assert any(len({p.article.byline for p in s.parts}) == 2 for s in two_parts)


def test_sample_has_events_departments_and_cross_references():
    newsletter = sample()
    sections = {article.section for article in newsletter.articles}
    assert {"Events", "Recommended Reading"} <= sections
    assert any(article.event and article.event.location for article in newsletter.articles)
    linked = [a for a in newsletter.articles if re.search(r'href="/issues/\d+/', a.body_html)]
    assert len(linked) >= 5


class Outline(HTMLParser):
    """Headings, landmarks and images of one page."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[int] = []
        self.landmarks: set[str] = set()
        self.images_without_alt = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("header", "main", "footer", "nav"):
            self.landmarks.add(tag)
        if tag == "img" and not (attrs.get("alt") or "").strip():
            self.images_without_alt += 1


def test_every_page_has_landmarks_ordered_headings_and_alt_text(sample_site: Path):
    pages = [p for p in sample_site.rglob("*.html") if "editions" not in p.parts]
    assert len(pages) > 50
    for path in pages:
        outline = Outline(path.read_text(encoding="utf-8"))
        assert {"header", "main", "footer", "nav"} <= outline.landmarks, path
        assert outline.headings.count(1) == 1, path
        assert outline.headings[0] == 1, path
        for before, after in zip(outline.headings, outline.headings[1:], strict=False):
            assert after <= before + 1, f"{path}: h{before} followed by h{after}"
        assert outline.images_without_alt == 0, path


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def palettes(css: str) -> dict[str, dict[str, str]]:
    """The light palette (the first :root with colours) and the one inside
    `@media (prefers-color-scheme: dark)`."""
    dark_at = css.index("@media (prefers-color-scheme: dark)")
    found = {}
    for match in re.finditer(r":root \{([^}]*)\}", css):
        colours = dict(re.findall(r"--([\w-]+): (#[0-9a-f]{6})", match.group(1)))
        if colours:
            found.setdefault("dark" if match.start() > dark_at else "light", colours)
    return found


def test_stylesheet_colours_meet_wcag_aa_in_light_and_dark():
    found = palettes((ROOT / "theme/static/css/style.css").read_text())
    assert set(found) == {"light", "dark"}
    assert found["light"].keys() == found["dark"].keys()
    for scheme, colours in found.items():
        pairs = [(t, b) for t in ("ink", "muted", "link", "accent") for b in ("paper", "tint")]
        pairs.append(("on-link", "link"))  # button text on the button
        for text, background in pairs:
            ratio = contrast(colours[text], colours[background])
            assert ratio >= 4.5, f"{scheme}: {text} on {background}: {ratio:.2f}"
        for background in ("paper", "tint"):  # form field borders: non-text contrast
            ratio = contrast(colours["field"], colours[background])
            assert ratio >= 3, f"{scheme}: field border on {background}: {ratio:.2f}"
