"""Every violation of the content contract: reported as `path:line: message` naming the field."""

from __future__ import annotations

import pytest

from masthead.build import ContentError


def problems_of(tree, changes: dict) -> list[str]:
    with pytest.raises(ContentError) as caught:
        tree(changes)
    return [str(problem) for problem in caught.value.problems if not problem.warning]


def only_problem(tree, changes: dict) -> str:
    problems = problems_of(tree, changes)
    assert len(problems) == 1, problems
    return problems[0]


ARTICLE = """
    ---
    title: Extra
    issue: 2
    ---
    Text.
    """


def test_missing_title(tree):
    message = only_problem(tree, {"articles/x.md": "---\nissue: 2\n---\nText\n"})
    assert message.startswith("content/articles/x.md:1: field 'title' is required")


def test_missing_issue(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\n---\nText\n"})
    assert message.startswith("content/articles/x.md:1: field 'issue' is required")


def test_issue_not_a_number(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\nissue: two\n---\n"})
    assert message.startswith("content/articles/x.md:3: field 'issue' must be a whole number")


def test_unknown_issue(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\nissue: 9\n---\n"})
    assert message.startswith("content/articles/x.md:3: issue 9 does not exist")


def test_issue_missing_number_and_bad_date_in_one_run(tree):
    problems = problems_of(tree, {"issues/003.md": "---\ndate: 2025-13-01\n---\n"})
    assert "content/issues/003.md:1: field 'number' is required: add `number: <number>`" in problems
    assert (
        "content/issues/003.md:2: field 'date': 2025-13-01 does not exist (there is no month 13)"
        in problems
    )


def test_duplicate_issue_number(tree):
    message = only_problem(tree, {"issues/003.md": "---\nnumber: 2\ndate: 2025-01-21\n---\n"})
    assert message.startswith("content/issues/003.md:2: issue number 2 is already used by")
    assert "content/issues/002.md" in message


def test_bad_status(tree):
    changes = {"issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: maybe\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/issues/003.md:4: field 'status' must be published or draft")


def test_unknown_series(tree):
    changes = {"articles/x.md": "---\ntitle: X\nissue: 2\nseries: nope\npart: 1\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/articles/x.md:4: series 'nope' does not exist")


def test_duplicate_series_part(tree):
    changes = {"articles/x.md": "---\ntitle: X\nissue: 2\nseries: listen\npart: 2\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/articles/x.md:5: part 2 of series 'listen' is already")


def test_series_without_part(tree):
    message = only_problem(
        tree, {"articles/x.md": "---\ntitle: X\nissue: 2\nseries: listen\n---\n"}
    )
    assert message.startswith("content/articles/x.md:1: field 'part' is required")


def test_part_without_series(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\nissue: 2\npart: 3\n---\n"})
    assert message.startswith("content/articles/x.md:4: field 'part' needs 'series'")


def test_article_listed_by_two_issues(tree):
    changes = {
        "issues/001.md": "---\nnumber: 1\ndate: 2025-01-07\narticles: [one]\n---\n",
        "issues/002.md": "---\nnumber: 2\ndate: 2025-01-14\narticles: [two, one]\n---\n",
    }
    message = only_problem(tree, changes)
    assert message.startswith("content/issues/002.md:4: 'articles' lists 'one'")
    assert "issue 1" in message


def test_issue_lists_unknown_article(tree):
    changes = {"issues/002.md": "---\nnumber: 2\ndate: 2025-01-14\narticles: [ghost]\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/issues/002.md:4: 'articles' lists 'ghost'")


def test_bad_yaml(tree):
    message = only_problem(tree, {"series/bad.md": "---\ntitle: [unclosed\nparts: 1\n---\n"})
    assert message.startswith("content/series/bad.md:")
    assert "bad YAML in front matter" in message


def test_no_front_matter(tree):
    message = only_problem(tree, {"articles/x.md": "Just text.\n"})
    assert message == (
        "content/articles/x.md:1: no front matter: start the file with a line of three dashes"
    )


def test_topics_must_be_a_list(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\nissue: 2\ntopics: 7\n---\n"})
    assert message.startswith("content/articles/x.md:4: field 'topics' must be a list")


def test_event_date_must_be_a_date(tree):
    message = only_problem(
        tree, {"articles/x.md": "---\ntitle: X\nissue: 2\nevent_date: soon\n---\n"}
    )
    assert message.startswith("content/articles/x.md:4: field 'event_date' must be YYYY-MM-DD")


def test_broken_internal_link_names_the_body_line(tree):
    changes = {
        "articles/x.md": "---\ntitle: X\nissue: 2\n---\nFirst.\n\nSee [it]({filename}gone.md).\n"
    }
    message = only_problem(tree, changes)
    assert message.startswith("content/articles/x.md:7: link to '{filename}gone.md'")


def test_missing_static_file(tree):
    changes = {
        "articles/x.md": "---\ntitle: X\nissue: 2\n---\n![A chart]({static}/images/no.png)\n"
    }
    message = only_problem(tree, changes)
    assert message.startswith("content/articles/x.md:5: link to '{static}/images/no.png'")


def test_duplicate_slug(tree):
    message = only_problem(tree, {"articles/y.md": "---\ntitle: Y\nissue: 2\nslug: one\n---\n"})
    assert message.startswith("content/articles/y.md:4: slug 'one' is already used")


def test_every_problem_in_one_run(tree):
    changes = {
        "articles/a.md": "---\ntitle: A\n---\n",
        "articles/b.md": "---\nissue: 1\n---\n",
        "issues/009.md": "---\nnumber: 9\n---\n",
    }
    problems = problems_of(tree, changes)
    assert [p.split(":")[0] for p in problems] == [
        "content/articles/a.md",
        "content/articles/b.md",
        "content/issues/009.md",
    ]


def test_unknown_field_is_a_warning_with_a_suggestion(tree):
    report = tree({"articles/x.md": "---\ntitle: X\nissue: 2\ntpoics: [a]\n---\n"})
    messages = [str(w) for w in report.warnings]
    assert any(
        m.startswith("content/articles/x.md:4: warning: unknown field 'tpoics'")
        and "did you mean 'topics'" in m
        for m in messages
    )


def test_broken_tree_leaves_previous_output_untouched(tree, tmp_path):
    tree()
    output = tmp_path / "output"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert before
    with pytest.raises(ContentError):
        tree({"articles/x.md": "---\ntitle: X\nissue: 99\n---\n"})
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before
    assert not list(tmp_path.glob(".output-building-*")), "failed build left its directory"
    assert_nothing_left_beside(tmp_path)


def assert_nothing_left_beside(tmp_path):
    """Only the build cache and the spare directory skeleton (output_tree.py), no files."""
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".masthead-cache", ".output-spare", "content", "output"]
    assert not [p for p in (tmp_path / ".output-spare").rglob("*") if p.is_file()]


def test_a_title_must_be_one_line(tree):
    changes = {"articles/x.md": '---\ntitle: "Hello\\r\\nBcc: x@example.org"\nissue: 2\n---\n'}
    message = only_problem(tree, changes)
    assert message == "content/articles/x.md:2: field 'title' must be one line: join its lines"


def test_a_file_that_is_not_utf8(tree, tmp_path):
    tree()
    (tmp_path / "content/articles/latin.md").write_bytes(b"---\ntitle: Caf\xe9\nissue: 2\n---\n")
    with pytest.raises(ContentError) as caught:
        tree()
    assert [str(p) for p in caught.value.problems] == [
        "content/articles/latin.md:2: not UTF-8 text: save the file as UTF-8"
    ]


def test_front_matter_not_closed(tree):
    message = only_problem(tree, {"articles/x.md": "---\ntitle: X\nissue: 2\n\nBody.\n"})
    assert message == "content/articles/x.md:1: front matter not closed: add a line of three dashes"


@pytest.mark.parametrize("slug", ["../../escaped", "a b?c#d", "Upper-Case", "../2"])
def test_a_slug_must_be_safe_in_a_url(tree, slug):
    changes = {"articles/x.md": f"---\ntitle: X\nissue: 2\nslug: '{slug}'\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith(f"content/articles/x.md:4: slug '{slug}' must be lower-case words")


def test_a_file_name_that_makes_a_bad_slug(tree):
    message = only_problem(tree, {"articles/My Notes.md": "---\ntitle: X\nissue: 2\n---\n"})
    assert message.startswith("content/articles/My Notes.md:1: slug 'My Notes' must be")
    assert "like 'my-notes'" in message


def test_numbers_have_a_sane_upper_bound(tree):
    changes = {"issues/003.md": "---\nnumber: 100000000000000000000000\ndate: 2025-01-21\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/issues/003.md:2: field 'number' must be a whole number")


def test_a_part_beyond_the_planned_outline(tree):
    changes = {"articles/x.md": "---\ntitle: X\nissue: 2\nseries: listen\npart: 32\n---\n"}
    message = only_problem(tree, changes)
    assert message.startswith("content/articles/x.md:5: series 'listen' plans 3 parts")


def test_topics_that_share_a_page_are_a_warning(tree):
    report = tree({"articles/x.md": "---\ntitle: X\nissue: 2\ntopics: ['C++', 'C']\n---\n"})
    warnings = [str(w) for w in report.warnings]
    assert (
        "content/articles/x.md:4: warning: topic 'C' shares the page topics/c/ with 'C++': "
        "rename one of them" in warnings
    )


def test_a_missing_setting_names_the_settings_file_and_its_newsletter_line(tree):
    from tests.conftest import ROOT

    settings_text = (ROOT / "pelicanconf.py").read_text().splitlines()
    line = next(n for n, text in enumerate(settings_text, 1) if text.startswith("NEWSLETTER"))
    import pelicanconf

    newsletter = {k: v for k, v in pelicanconf.NEWSLETTER.items() if k != "service_url"}
    with pytest.raises(ContentError) as caught:
        tree(extra={"NEWSLETTER": newsletter})
    assert [str(p) for p in caught.value.problems] == [
        f"pelicanconf.py:{line}: newsletter: NEWSLETTER['service_url'] is missing: set it to "
        "the https:// address of the subscription service (publish.py serve)"
    ]


def test_a_build_failing_late_leaves_nothing_behind(tree, tmp_path):
    """An edition error comes after the web pages were written: the unfinished directory
    goes, the previous output stays."""
    tree()
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "output").rglob("*"))
    relative = "---\ntitle: X\nissue: 2\n---\nSee [this](../other/page.html).\n"
    with pytest.raises(ContentError) as caught:
        tree({"articles/x.md": relative})
    assert "still relative" in str(caught.value.problems[0])
    assert_nothing_left_beside(tmp_path)
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "output").rglob("*")) == before
