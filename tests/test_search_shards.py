"""The search index in shards (search.py): one Pagefind bundle per block of issues and one
for the other pages, merged by the search page; a rebuild indexes only the shards whose
pages changed."""

from __future__ import annotations

import json

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


def test_a_rebuild_indexes_only_the_shard_that_changed(tree, tmp_path):
    tree(extra=ONE_ISSUE_A_SHARD)
    search = tmp_path / "output" / "pagefind"
    before = {name: (search / name / "pagefind-entry.json").stat() for name in _bundles(search)}
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    after = {name: (search / name / "pagefind-entry.json").stat() for name in _bundles(search)}
    assert after["issues-1-1"].st_ino == before["issues-1-1"].st_ino  # kept as it was
    assert after["site"].st_ino == before["site"].st_ino
    assert after["issues-2-2"].st_ino != before["issues-2-2"].st_ino  # indexed again
    entry = json.loads((search / "issues-2-2" / "pagefind-entry.json").read_text())
    assert entry["languages"]  # a complete bundle


def test_no_shard_is_indexed_again_when_nothing_changed(tree, tmp_path):
    tree(extra=ONE_ISSUE_A_SHARD)
    search = tmp_path / "output" / "pagefind"
    before = {p: p.stat().st_ino for p in search.rglob("*") if p.is_file()}
    tree(extra=ONE_ISSUE_A_SHARD)
    after = {p: p.stat().st_ino for p in search.rglob("*") if p.is_file()}
    assert after == before  # every file of every bundle is the one the last build made


def _bundles(search):
    return [path.name for path in search.iterdir() if path.is_dir()]
