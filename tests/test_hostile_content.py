"""Hostile and odd content: every bad input is a one-line `path:line: message`, nothing
outside content/ is read or published, nothing hangs (issue 10, build side)."""

from __future__ import annotations

import os

import pytest

from masthead.build import ContentError

pytestmark = pytest.mark.timeout(60)
SECRET = "SUBSCRIBER-STORE-SECRET-4f1c"


def errors_of(tree, changes: dict | None = None) -> list[str]:
    with pytest.raises(ContentError) as caught:
        tree(changes)
    problems = [str(p) for p in caught.value.problems if not p.warning]
    for problem in problems:
        assert "\n" not in problem and "\x1b" not in problem and len(problem) < 400, problem
    return problems


def only_error(tree, changes: dict | None = None) -> str:
    problems = errors_of(tree, changes)
    assert len(problems) == 1, problems
    return problems[0]


def secret_anywhere(directory) -> list[str]:
    return [
        str(path)
        for path in directory.rglob("*")
        if path.is_file() and not path.is_symlink() and SECRET.encode() in path.read_bytes()
    ]


@pytest.fixture
def secret_file(tmp_path):
    """A file beside content/, as the subscriber store is."""
    path = tmp_path / "subscribers.db"
    path.write_text(SECRET)
    return path


# --- content stays in content/ ----------------------------------------------------------------


def test_an_image_symlink_to_the_subscriber_store_is_an_error_and_never_copied(
    tree, tmp_path, secret_file
):
    tree()  # a good build first: the failed one must leave it as it was
    images = tmp_path / "content/images"
    images.mkdir()
    os.symlink("../../subscribers.db", images / "x.png")
    message = only_error(tree)
    assert message.startswith("content/images/x.png:1: a symbolic link leaving content/")
    assert secret_anywhere(tmp_path / "output") == []
    assert not (tmp_path / "output/images/x.png").exists()


def test_a_symlinked_article_from_outside_content_is_not_built(tree, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text(f"---\ntitle: Outside\nissue: 2\n---\n{SECRET}\n")
    tree()
    os.symlink(outside, tmp_path / "content/articles/elsewhere.md")
    message = only_error(tree)
    assert message.startswith("content/articles/elsewhere.md:1: a symbolic link leaving content/")
    assert secret_anywhere(tmp_path / "output") == []


def test_a_symlinked_pages_folder_leaving_content_is_refused(tree, tmp_path):
    outside = tmp_path / "pages-elsewhere"
    outside.mkdir()
    (outside / "leak.md").write_text(f"Title: Leak\nSlug: leak\n\n{SECRET}\n")
    tree()
    (tmp_path / "content/images").mkdir()
    os.symlink(outside, tmp_path / "content/images/more")
    message = only_error(tree)
    assert message.startswith("content/images/more:1: a symbolic link leaving content/")
    assert secret_anywhere(tmp_path / "output") == []


def test_a_symlink_inside_content_is_followed(tree, tmp_path):
    images = tmp_path / "content/images"
    images.mkdir(parents=True)
    (images / "chart.png").write_bytes(b"\x89PNG")
    os.symlink("chart.png", images / "same-chart.png")
    tree()
    assert (tmp_path / "output/images/same-chart.png").read_bytes() == b"\x89PNG"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: os.symlink("/nonexistent/x.md", p), "a broken symbolic link"),
        (lambda p: p.mkdir(), "a directory, not a file"),
        (lambda p: os.mkfifo(p), "a FIFO (named pipe), not a file"),
    ],
    ids=["dangling-symlink", "directory", "fifo"],
)
@pytest.mark.parametrize("folder", ["articles", "issues", "series", "pages"])
def test_an_entry_that_is_not_a_file_is_a_one_line_error(tree, tmp_path, make, message, folder):
    tree()
    make(tmp_path / "content" / folder / "x.md")
    if folder == "pages" and message.startswith("a directory"):
        tree()  # Pelican walks a directory among pages: nothing is read as a page
        return
    assert only_error(tree).startswith(f"content/{folder}/x.md:1: {message}")


def test_a_device_among_the_images_is_refused(tree, tmp_path):
    tree()
    images = tmp_path / "content/images"
    images.mkdir()
    os.symlink("/dev/zero", images / "zero.png")  # a device, reached through a link
    message = only_error(tree)
    assert message.startswith("content/images/zero.png:1: a symbolic link leaving content/")


# --- pages may not overwrite generated pages ----------------------------------------------------


@pytest.mark.parametrize("save_as", ["index.html", "issues/1/index.html", "editions/2/email.html"])
def test_a_page_may_not_overwrite_a_generated_page(tree, save_as):
    page = f"Title: Evil\nSlug: evil\nSave_as: {save_as}\n\nEvil.\n"
    message = only_error(tree, {"pages/evil.md": page})
    assert message.startswith(f"content/pages/evil.md:3: page saved as '{save_as}' ")


def test_a_page_saved_outside_the_output_is_skipped(tree, tmp_path):
    page = "Title: Evil\nSlug: evil\nSave_as: ../../escape.html\n\nEvil.\n"
    report = tree({"pages/evil.md": page})
    assert any("outside output path" in w for w in report.pelican_warnings)
    assert not (tmp_path.parent / "escape.html").exists()


def test_two_pages_with_one_slug(tree):
    message = only_error(tree, {"pages/about2.md": "Title: About again\nSlug: about\n\nx\n"})
    assert message.startswith("content/pages/about2.md:2: page saved as 'about/index.html' is")


# --- YAML: plain scalars, lists and mappings ------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines)


def test_a_yaml_alias_bomb_is_refused_at_once(tree):
    text = f"---\ntitle: X\nissue: 2\n{alias_bomb()}\ntopics: *a8\n---\nx\n"
    message = only_error(tree, {"articles/x.md": text})
    assert message.startswith("content/articles/x.md:")
    assert "aliases are not accepted" in message


@pytest.mark.parametrize(
    "value", ["!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!custom x", "!!python/int 1"]
)
def test_yaml_tags_other_than_plain_values_are_refused(tree, value):
    message = only_error(tree, {"articles/x.md": f"---\ntitle: {value}\nissue: 2\n---\nx\n"})
    assert message.startswith("content/articles/x.md:2: bad YAML in front matter: ")


def test_an_integer_of_5000_digits(tree):
    text = "---\nnumber: " + "9" * 5000 + "\ndate: 2025-01-21\n---\n"
    message = only_error(tree, {"issues/003.md": text})
    assert message == (
        "content/issues/003.md:2: bad YAML in front matter: "
        "a number of 5,000 characters is too long"
    )


def test_deeply_nested_yaml(tree):
    text = "---\ntitle: X\nissue: 2\ntopics: " + "[" * 5000 + "]" * 5000 + "\n---\nx\n"
    assert only_error(tree, {"articles/x.md": text}).startswith("content/articles/x.md:")


# --- one-line fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "reason"),
    [
        ("a\\0b", "holds the control character U+0000 at column 2: remove it"),
        ("a\\eb", "holds the control character U+001B at column 2: remove it"),
        ("a\\x7fb", "holds the control character U+007F at column 2: remove it"),
        ("a\\u2028b", "must be one line: join its lines"),
        ("a\\u2029b", "must be one line: join its lines"),
    ],
)
def test_one_line_fields_refuse_control_characters(tree, escaped, reason):
    message = only_error(tree, {"articles/x.md": f'---\ntitle: "{escaped}"\nissue: 2\n---\n'})
    assert message == f"content/articles/x.md:2: field 'title' {reason}"


def test_a_control_character_in_a_list_of_topics(tree):
    message = only_error(
        tree, {"articles/x.md": '---\ntitle: X\nissue: 2\ntopics: ["a\\eb"]\n---\n'}
    )
    assert message.startswith("content/articles/x.md:4: field 'topics' must be a list")


def test_a_huge_value_is_cut_to_a_preview(tree):
    huge = "x" * 100_000
    message = only_error(tree, {"articles/x.md": f"---\ntitle: X\nissue: {huge}\n---\n"})
    assert message.startswith("content/articles/x.md:3: field 'issue' must be a whole number")
    assert len(message) < 200


def test_an_unknown_field_with_a_huge_name_is_a_short_warning(tree):
    name = "k" * 1000  # YAML keys stop at 1,024 characters
    report = tree({"articles/x.md": f"---\ntitle: X\nissue: 2\n{name}: 1\n---\n"})
    (warning,) = [str(w) for w in report.warnings if "unknown field" in str(w)]
    assert len(warning) < 300


def test_a_page_name_too_long_for_a_file(tree):
    page = "Title: Long\nSlug: long\nSave_as: " + "x" * 300 + ".html\n\nLong.\n"
    message = only_error(tree, {"pages/long.md": page})
    assert message.startswith("content/pages/long.md:3: page saved as 'xxx")
    assert message.endswith(
        "has a name over 200 bytes, too long for a file: change its Save_as or Slug"
    )


# --- Markdown limits: a clear error, never a hang or a crash --------------------------------------

ARTICLE_WITH = "---\ntitle: X\nissue: 2\n---\nFirst line.\n\n{body}\n"  # body on line 7


@pytest.mark.parametrize(
    ("body", "line", "start"),
    [
        ("\n".join("    " * i + "- item" for i in range(200)), 23, "lists and quotes nested"),
        ("\n".join("   " * i + "1. item" for i in range(100)), 29, "lists and quotes nested"),
        (">" * 40 + " deep", 7, "lists and quotes nested more than 16 levels deep"),
        ("\n".join(">" * i + " q" for i in range(300)), 24, "lists and quotes nested"),
        ("[" * 20_000, 7, "a paragraph holds 20,000 '['"),
        ("![" * 20_000, 7, "a paragraph holds 20,000 '['"),
        ("<a " * 20_000, 7, "too many HTML tags opened without their `>`"),
        ("<a b='>' " * 20_000, 7, "too many HTML tags opened without their `>`"),
        ("<!--" * 20_000, 7, "too many HTML tags opened without their `>`"),
        ("\n".join(f"*[A{i}]: x" for i in range(5000)), 7, "5,000 abbreviation definitions"),
        ("word " * 120_000, 5, "the body is 600,014 characters long"),
        ("ok\n\nbad \x1b[31m red", 9, "the body holds the control character U+001B"),
        ("nul \x00 here", 7, "the body holds the control character U+0000"),
    ],
    ids=[
        "deep-list",
        "deep-ordered-list",
        "40-deep-quote",
        "growing-quotes",
        "run-of-brackets",
        "run-of-image-brackets",
        "unclosed-tags",
        "quoted-unclosed-tags",
        "unclosed-comments",
        "abbreviations",
        "huge-body",
        "escape",
        "nul",
    ],
)
def test_markdown_limits_are_one_line_errors(tree, body, line, start):
    message = only_error(tree, {"articles/x.md": ARTICLE_WITH.format(body=body)})
    assert message.startswith(f"content/articles/x.md:{line}: {start}"), message


def test_nested_markdown_html_blocks_are_an_error_not_a_crash(tree):
    body = '<div markdown="1">\n' * 600 + "x\n" + "</div>\n" * 600
    message = only_error(tree, {"articles/x.md": ARTICLE_WITH.format(body=body)})
    assert message.startswith("content/articles/x.md:")


def test_a_long_register_value_is_refused_quickly(tree):
    register = "a@" * 20_000
    text = f"---\ntitle: X\nissue: 2\nregister: '{register}'\n---\nx\n"
    assert only_error(tree, {"articles/x.md": text}).startswith(
        "content/articles/x.md:4: field 'register' is 40,000 characters long"
    )


def test_linkify_email_is_linear():
    from newsletter.email_html import _linkify_email

    assert str(_linkify_email("write to events@example.org.")) == (
        'write to <a href="mailto:events@example.org">events@example.org</a>.'
    )
    assert "mailto" not in str(_linkify_email("a" * 200_000))  # instant, not minutes


def test_a_file_name_with_an_escape_character_stays_one_printable_line(tree):
    message = only_error(tree, {"articles/a\x1b[2Jb\nc.md": "---\ntitle: X\nissue: 2\n---\n"})
    assert message.startswith("content/articles/a\\x1b[2Jb\\nc.md:1: slug ")
