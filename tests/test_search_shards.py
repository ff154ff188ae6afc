"""The search index in shards (search.py): one Pagefind bundle per block of issues and one
for the other pages, merged by the search page; a rebuild indexes only the shards whose
pages changed."""

from __future__ import annotations

import json

import pytest
from conftest import MINIMAL

ONE_ISSUE_A_SHARD = {"NEWSLETTER_SEARCH_SHARD": 1}


def test_each_block_of_issues_is_its_own_bundle(tree, tmp_path):
    tree(extra=ONE_ISSUE_A_SHARD)
    search = tmp_path / "output" / "pagefind"
    listed = json.loads((search / "shards.json").read_text())
    assert listed == ["/pagefind/issues-1-1/", "/pagefind/issues-2-2/", "/pagefind/site/"]
    for path in listed:
        assert (tmp_path / "output" / path.strip("/") / "pagefind.js").is_file()
    assert (search / "pagefind-ui.js").is_file() and (search / "pagefind-ui.css").is_file()


def test_a_rebuild_indexes_only_the_shard_that_changed(tree, tmp_path, monkeypatch):
    tree(extra=ONE_ISSUE_A_SHARD)
    indexed = _count_pagefind_runs(monkeypatch)
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    assert indexed == ["issues-2-2"]  # issue 1's shard and the rest kept as they were
    search = tmp_path / "output" / "pagefind"
    entry = json.loads((search / "issues-2-2" / "pagefind-entry.json").read_text())
    assert entry["languages"]  # a complete bundle
    assert sorted(_bundles(search)) == ["issues-1-1", "issues-2-2", "site"]


def test_no_shard_is_indexed_again_when_nothing_changed(tree, tmp_path, monkeypatch):
    tree(extra=ONE_ISSUE_A_SHARD)
    indexed = _count_pagefind_runs(monkeypatch)
    tree(extra=ONE_ISSUE_A_SHARD)
    assert indexed == []
    listed = json.loads((tmp_path / "output" / "pagefind" / "shards.json").read_text())
    assert len(listed) == 3  # every bundle still listed for the search page


def test_pages_at_the_top_are_indexed_and_listings_are_not(tree, tmp_path):
    page = "Title: Colophon\nSlug: colophon\nSave_as: colophon.html\n\nSet in a lighthouse.\n"
    tree({"pages/colophon.md": page})
    from newsletter.search import shards

    found = {shard.name: shard for shard in shards(tmp_path / "output")}
    pages = [name for shard in found.values() for name, _identity in shard.pages]
    assert "colophon.html" in pages and "colophon.html" in found["site"].glob
    listings = ("index.html", "404.html", "archive/", "topics/", "search/", "series/index.html")
    assert not [p for p in pages if p.startswith(listings)]


def _count_pagefind_runs(monkeypatch) -> list[str]:
    """The shards Pagefind indexes from now on, by name."""
    from newsletter import search

    indexed: list[str] = []
    real = search.index_shard

    def counted(site, shard, bundle):
        indexed.append(shard.name)
        return real(site, shard, bundle)

    monkeypatch.setattr(search, "index_shard", counted)
    return indexed


def _bundles(search):
    return [path.name for path in search.iterdir() if path.is_dir()]


def test_issue_shards_are_indexed_while_the_editions_are_written(tree, tmp_path, monkeypatch):
    from newsletter import generator, site_search

    tree(extra=ONE_ISSUE_A_SHARD)
    busy: list[bool] = []
    write_editions = generator.write_editions

    def watched(*args, **kwargs):  # the editions come after the pages: is Pagefind at work?
        busy.extend(i._thread.is_alive() or bool(i.problems) for i in site_search._running.values())
        return write_editions(*args, **kwargs)

    monkeypatch.setattr(generator, "write_editions", watched)
    indexed = _count_pagefind_runs(monkeypatch)
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    assert busy == [True]  # one indexer, started (or done) before the editions
    assert indexed == ["issues-2-2"]
    listed = json.loads((tmp_path / "output" / "pagefind" / "shards.json").read_text())
    assert listed == ["/pagefind/issues-1-1/", "/pagefind/issues-2-2/", "/pagefind/site/"]
    assert not list(tmp_path.glob(".output-building-*")), "the snapshot Pagefind read is gone"


def test_a_build_failing_after_its_pages_stops_pagefind_and_leaves_nothing(
    tree, tmp_path, monkeypatch
):
    from newsletter import generator, site_search
    from newsletter.problems import ContentError, Problem

    tree(extra=ONE_ISSUE_A_SHARD)
    output = tmp_path / "output"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}

    def failing(*args, **kwargs):
        raise ContentError([Problem("theme/email/issue.mjml", 1, "an edition failed")])

    monkeypatch.setattr(generator, "write_editions", failing)
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    with pytest.raises(ContentError):
        tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".output-building-*")), "a build or snapshot left behind"
    assert not site_search._running
