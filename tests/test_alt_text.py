"""Images without alt text: found by parsing the HTML the Markdown became, warned at
path:line by the build, and a failure for `check`."""

from __future__ import annotations

from newsletter.html_tools import images_without_alt
from tests.cli_helpers import one_line_error

BODY = """---
title: A workshop
issue: 2
section: Events
---
Come along.

![](https://example.org/room.png)

<p><img alt="" src="https://example.org/raw.png"></p>

<img src="https://example.org/fine.png" alt="The room, set for twelve">
<IMG SRC="https://example.org/shouting.png" ALT="   ">
"""


def test_parser_finds_missing_blank_and_alt_before_src():
    html = (
        '<img alt="" src="a.png"><img src=\'b.png\'><img src="c.png" alt="C">'
        '<img\nalt=" "\nsrc="d.png"/><p alt="x"><img></p>'
    )
    assert images_without_alt(html) == ["a.png", "b.png", "d.png", "(no src)"]


def test_build_warns_with_path_and_line(editor):
    editor.write({"articles/workshop.md": BODY})
    result = editor.run("build")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "alt text" in line]
    assert [w.split(": warning: ")[0] for w in warnings] == [
        "content/articles/workshop.md:8",
        "content/articles/workshop.md:10",
        "content/articles/workshop.md:13",
    ]
    assert "image 'https://example.org/room.png' has no alt text" in warnings[0]
    assert "3 warnings." in result.stdout


def test_check_fails_on_a_missing_alt_text(editor):
    editor.write({"articles/workshop.md": BODY})
    result = editor.run("check")
    assert one_line_error(result, 1) == "Error: 3 problems found by check"
    assert (
        "content/articles/workshop.md:8: image 'https://example.org/room.png' has no alt text"
        in (result.stderr)
    )
