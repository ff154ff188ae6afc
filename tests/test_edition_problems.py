"""Build-time checks of email editions: each reported like a content error, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edition_fixtures import build_newsletter, copy_theme
from edition_fixtures import settings as edition_settings
from newsletter.edition import stray_percents, write_editions
from newsletter.message import PLACEHOLDERS
from newsletter.model import Newsletter
from newsletter.problems import Problem


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Newsletter]:
    copy_theme(tmp_path)
    return tmp_path, build_newsletter(tmp_path)


def _build(root: Path, newsletter: Newsletter, **overrides: object) -> list[Problem]:
    return write_editions(newsletter, edition_settings(root, **overrides), root / "output", root)


def _errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if not p.warning]


def test_malformed_template_one_line_naming_file_and_line(project) -> None:
    root, newsletter = project
    footer = root / "theme" / "email" / "_footer.mjml.j2"
    footer.write_text(footer.read_text() + "\n{% if settings.name %}\n<mj-raw></mj-raw>\n")
    errors = _errors(_build(root, newsletter))
    assert len(errors) == 1
    assert errors[0].startswith("theme/email/_footer.mjml.j2:")
    assert "malformed email template" in errors[0] and "\n" not in errors[0]
    assert not (root / "output").exists()


def test_template_runtime_error_names_template(project) -> None:
    root, newsletter = project
    masthead = root / "theme" / "email" / "_masthead.mjml.j2"
    masthead.write_text("{{ settings.no_such_setting }}\n" + masthead.read_text())
    errors = _errors(_build(root, newsletter))
    assert errors and errors[0].startswith("theme/email/_masthead.mjml.j2:1: email template")


def test_mrml_rejection_names_template_issue_and_article(project) -> None:
    root, newsletter = project
    article = newsletter.articles[1]  # desk-tour, issue 1
    article.body_html = "<p>Unclosed <div>raw html</p>"
    errors = _errors(_build(root, newsletter))
    assert any(
        e.startswith("content/issues/001.md:1: MRML rejected")
        and "theme/email/edition.mjml.j2" in e
        and "issue #1" in e
        for e in errors
    ), errors
    assert any(e.startswith("content/articles/desk-tour.md:1: MRML cannot read") for e in errors)
    assert not (root / "output").exists()


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        (("publisher", "address"), "NEWSLETTER['publisher']['address'] is missing"),
        (("requests_address",), "NEWSLETTER['requests_address'] is missing"),
        (("service_url",), "NEWSLETTER['service_url'] is missing"),
    ],
)
def test_missing_footer_setting(project, keys: tuple[str, ...], shown: str) -> None:
    root, newsletter = project
    conf = edition_settings(root)
    holder = conf["NEWSLETTER"]
    for key in keys[:-1]:
        holder = holder[key]
    del holder[keys[-1]]
    problems = write_editions(newsletter, conf, root / "output", root)
    assert [p.path for p in problems] == ["pelicanconf.py"]
    assert shown in problems[0].message
    assert not (root / "output").exists()


def test_relative_link_after_absolutising_names_article_and_line(project) -> None:
    root, newsletter = project
    article = newsletter.articles[1]
    path = root / article.source.path
    path.write_text("---\ntitle: x\n---\nIntro.\n\nSee [this](../other/page.html).\n")
    article.body_html = '<p>See <a href="../other/page.html">this</a>.</p>'
    errors = _errors(_build(root, newsletter))
    assert errors == [
        "content/articles/desk-tour.md:6: link '../other/page.html' is still relative in the "
        "email edition: use a root-relative path, {filename} or a full URL"
    ]


def test_unknown_filename_link_reported(project) -> None:
    root, newsletter = project
    newsletter.articles[1].body_html = '<p><a href="{filename}nope.md">x</a></p>'
    errors = _errors(_build(root, newsletter))
    assert len(errors) == 1 and "'{filename}nope.md' is still relative" in errors[0]


def test_template_image_without_alt_is_the_templates_error(project) -> None:
    root, newsletter = project
    footer = root / "theme" / "email" / "_footer.mjml.j2"
    footer.write_text(footer.read_text().replace(
        "<mj-column>", '<mj-column><mj-image src="https://example.org/logo.png" alt="" />', 1
    ))  # fmt: skip
    errors = _errors(_build(root, newsletter))
    assert errors == [  # once, though the footer is in every edition (one root cause)
        "theme/email/edition.mjml.j2:1: image 'https://example.org/logo.png' has no alt text"
    ]


def test_content_image_without_alt_is_left_to_the_loader(project) -> None:
    """The loader warns (path:line, `check` fails); the edition does not report it twice."""
    root, newsletter = project
    newsletter.articles[1].body_html = '<p><img alt="" src="/images/x.png"></p>'
    assert _build(root, newsletter) == []


def test_big_html_is_a_warning_and_still_written(project) -> None:
    root, newsletter = project
    newsletter.articles[1].body_html = "<p>" + "word " * 25_000 + "</p>"
    problems = _build(root, newsletter)
    assert [p.warning for p in problems] == [True]
    assert "Gmail clips" in problems[0].message and problems[0].path == "content/issues/001.md"
    meta = (root / "output" / "editions" / "1" / "edition.json").read_text()
    assert "Gmail clips" in meta


def test_double_percent_in_content_reported(project) -> None:
    root, newsletter = project
    newsletter.articles[1].body_html = "<p>100%% sure</p>"
    newsletter.articles[1].body_md = "100%% sure"
    errors = _errors(_build(root, newsletter))
    assert errors and all("reserved for per-recipient placeholders" in e for e in errors)


def test_void_tags_made_well_formed(project) -> None:
    root, newsletter = project
    newsletter.articles[1].body_html = '<p>a<br>b</p><hr><p><img src="/i.png" alt="An i"></p>'
    assert _build(root, newsletter) == []
    html = (root / "output" / "editions" / "1" / "email.html").read_text()
    assert 'src="https://frontline.example.org/i.png"' in html


PIECES = ["%", "%%", "\n", "a", "recipient", "unsubscribe_url", *PLACEHOLDERS.values()]


@given(st.lists(st.sampled_from(PIECES), max_size=30))
@settings(max_examples=400, deadline=None)
def test_stray_percents_line_by_line_as_in_the_whole_part(pieces):
    """The line-by-line check gives the answer of taking the placeholders out of it all."""
    part = "".join(pieces)
    rest = part
    for token in PLACEHOLDERS.values():
        rest = rest.replace(token, "")
    assert stray_percents(part) == ("%%" in rest)
