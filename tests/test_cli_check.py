"""`check`: a build in a temporary directory, links to our own pages, the editions."""

from __future__ import annotations

from masthead.build import Problem
from masthead.check import at_sources, check_editions
from tests.cli_helpers import one_line_error, write_edition


def test_check_passes_on_a_good_newsletter_and_leaves_output_alone(editor):
    result = editor.run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Check passed (0 warnings).\n"
    assert not editor.output.exists()  # built in a temporary directory


def test_check_finds_links_to_pages_that_do_not_exist(editor):
    editor.write(
        {
            "articles/workshop.md": "---\ntitle: A workshop\nissue: 2\n---\n"
            "See [issue 7](/issues/7/), [the first](/issues/1/), [a PDF](/files/x.pdf),\n"
            "[elsewhere](https://example.org/x), [mail](mailto:a@example.org) and [top](#top).\n"
        }
    )
    result = editor.run("check")
    assert one_line_error(result, 1) == "Error: 2 problems found by check"
    problems = result.stderr.splitlines()[:-1]
    # Reported once, where the editor wrote them, with every built page they break (the
    # issue's email edition holds the page link made absolute on the public URL; a full URL
    # to /files/ may be served by other software, so the email's PDF link is not checked).
    assert problems == [
        "content/articles/workshop.md:5: link to '/files/x.pdf': no such page or file "
        "(in output/issues/2/index.html, output/issues/2/workshop/index.html)",
        "content/articles/workshop.md:5: link to '/issues/7/': no such page or file "
        "(in output/editions/2/email.html, output/issues/2/index.html, "
        "output/issues/2/workshop/index.html)",
    ]


def test_a_broken_link_no_markdown_holds_stays_at_its_output_file(tmp_path):

    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("See [x](/x/).\n")
    theme = Problem("output/index.html", 9, "link to '/theme-only/': no such page or file")
    written = Problem("output/a/index.html", 3, "link to 'https://n.example/x/': no such page")
    found = at_sources([theme, written], tmp_path / "content", tmp_path, ["https://n.example"])
    assert [str(p) for p in found] == [
        "content/a.md:1: link to '/x/': no such page or file (in output/a/index.html)",
        "output/index.html:9: link to '/theme-only/': no such page or file",
    ]


def test_check_fails_on_content_errors_like_build(editor):
    editor.write({"issues/002.md": "---\nnumber: 2\n---\n"})
    result = editor.run("check")
    # One root cause, one problem: issue 2's two articles are not "issue 2 does not exist".
    assert one_line_error(result, 1) == "Error: 1 problem in the content; nothing written"
    assert "content/issues/002.md:1: field 'date' is required" in result.stderr


def test_edition_checks(tmp_path):
    output = tmp_path / "output"
    write_edition(output, 1)
    write_edition(output, 2, **{"email.txt": "edited after the build\n"})
    (write_edition(output, 3) / "email.html").unlink()
    (write_edition(output, 4) / "edition.json").write_text("{not json")
    assert [str(p) for p in check_editions(output / "editions")] == [
        "output/editions/2/email.txt:1: hash differs from edition.json",
        "output/editions/3/email.html:1: missing: rebuild",
        "output/editions/4/edition.json:1: cannot read it: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1): rebuild",
    ]


def test_edition_web_url_must_name_a_built_page(tmp_path):
    output = tmp_path / "output"
    folder = write_edition(output, 1)
    (folder / "edition.json").write_text(
        (folder / "edition.json").read_text()[:-1] + ', "web_url": "https://x.org/issues/1/"}'
    )
    problems = check_editions(output / "editions", "https://x.org")
    assert [p.message for p in problems] == [
        "web_url 'https://x.org/issues/1/': no such page in the build"
    ]
    (output / "issues/1").mkdir(parents=True)
    (output / "issues/1/index.html").write_text("<p>1</p>")
    assert check_editions(output / "editions", "https://x.org") == []


def test_full_urls_under_siteurl_are_checked_where_the_archive_lives(tmp_path):
    from masthead.check import check_links

    output = tmp_path / "output"
    (output / "issues/1").mkdir(parents=True)
    (output / "issues/1/index.html").write_text(
        '<a href="https://x.org/issues/1/">here</a> <a href="https://x.org/issues/2/">gone</a>\n'
        '<a href="https://x.org/events/fair">another program</a> <a href="https://x.org">home</a>'
    )
    problems = check_links(output, (["https://x.org"], []))
    assert [p.message for p in problems] == [
        "link to 'https://x.org/issues/2/': no such page or file",
        "link to 'https://x.org': no such page or file",  # no output/index.html here
    ]
