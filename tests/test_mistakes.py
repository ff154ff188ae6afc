"""Mistakes caught before they go out: warnings in `build`, failures in `check`."""

from __future__ import annotations

import pytest

from masthead.build import ContentError

PLACEHOLDER_ISSUE = """
---
number: 3
date: 2025-01-21
---
The editor's welcome, in Markdown: what is in this issue and why it matters this week.
"""


def messages(report) -> list[str]:
    return [str(w) for w in report.warnings]


def test_scaffold_text_in_a_published_issue_is_a_warning_naming_the_line(tree):
    found = messages(tree({"issues/003.md": PLACEHOLDER_ISSUE}))
    assert any(
        m.startswith("content/issues/003.md:5: warning: the scaffold's placeholder text")
        for m in found
    ), found


def test_scaffold_text_in_a_draft_is_fine(tree):
    draft = PLACEHOLDER_ISSUE.replace("---\nThe", "status: draft\n---\nThe")
    assert not [m for m in messages(tree({"issues/003.md": draft})) if "placeholder" in m]


def test_an_empty_article_of_a_published_issue_is_a_warning(tree):
    found = messages(tree({"articles/empty.md": "---\ntitle: Nothing yet\nissue: 2\n---\n"}))
    assert (
        "content/articles/empty.md:2: warning: the article has no body, and issue 2 is "
        "published: write it" in found
    )


def test_a_gap_in_issue_numbers_is_a_warning(tree):
    found = messages(tree({"issues/005.md": "---\nnumber: 5\ndate: 2025-02-04\n---\nHi.\n"}))
    assert (
        "content/issues/005.md:2: warning: issue 3-4 missing: the issue before this one "
        "is 2" in found
    )


def test_a_topic_one_letter_from_another_asks_did_you_mean(tree):
    article = "---\ntitle: Queues\nissue: 2\ntopics: [Escalatoin]\n---\nText.\n"
    found = messages(tree({"articles/queues.md": article}))
    assert (
        "content/articles/queues.md:4: warning: topic 'Escalatoin': did you mean "
        "'Escalation'? (one edit apart)" in found
    )


def test_check_fails_on_these_mistakes(editor):
    editor.write({"issues/003.md": PLACEHOLDER_ISSUE})
    result = editor.run("check")
    assert result.exit_code == 1, result.output
    assert "content/issues/003.md:5: the scaffold's placeholder text" in result.stderr


def test_a_day_that_does_not_exist_says_so(tree):
    bad = "---\nnumber: 3\ndate: 2026-11-31\n---\nHi.\n"
    with pytest.raises(ContentError) as caught:
        tree({"issues/003.md": bad})
    [problem] = [str(p) for p in caught.value.problems]
    assert problem == (
        "content/issues/003.md:3: field 'date': 2026-11-31 does not exist "
        "(November 2026 has 30 days)"
    )


def test_a_bad_issue_date_is_reported_once_not_again_for_its_articles(tree):
    bad = "---\nnumber: 3\ndate: tomorrow\n---\nHi.\n"
    article = "---\ntitle: Later\nissue: 3\n---\nText.\n"
    with pytest.raises(ContentError) as caught:
        tree({"issues/003.md": bad, "articles/later.md": article})
    found = [str(p) for p in caught.value.problems]
    assert len(found) == 1 and found[0].startswith("content/issues/003.md:3: "), found
