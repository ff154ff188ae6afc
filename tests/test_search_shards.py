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


def test_the_shards_of_the_pages_a_build_made_are_the_shards_of_a_walk(tree, tmp_path):
    from newsletter.search import shards, shards_of

    tree(extra={"NEWSLETTER_SEARCH_SHARD": 1})
    site = tmp_path / "output"
    pages = sorted(str(p.relative_to(site)) for p in (site / "issues").rglob("*.html"))
    walked = shards(site, 1, part="issues")
    assert [s.name for s in walked] == ["issues-1-1", "issues-2-2"]
    made = shards_of(site, [*reversed(pages), "issues/index.html"], 1)
    assert [(s.name, s.glob, s.key) for s in made] == [(s.name, s.glob, s.key) for s in walked]


def _count_pagefind_runs(monkeypatch) -> list[str]:
    """The shards Pagefind indexes from now on, by name."""
    from newsletter import search

    indexed: list[str] = []
    real = search.index_shard

    def counted(site, shard, *bundles):
        indexed.append(shard.name)
        return real(site, shard, *bundles)

    monkeypatch.setattr(search, "index_shard", counted)
    return indexed


def _in_site_shard(page, tmp_path) -> bool:
    from newsletter.search import shards

    found = {name for name, _ in shards(tmp_path / "output", 1, part="rest")[0].pages}
    return str(page.relative_to(tmp_path / "output")) in found


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
    assert not list(tmp_path.glob(".output-building-*")), "a build left behind"
    assert not site_search._running


def test_a_static_page_copied_after_the_generator_is_in_the_site_bundle(tree, tmp_path):
    page = '<!doctype html><html lang="en"><title>Note</title><body data-pagefind-body>'
    page += "<p>A lighthouse keeper's note.</p></body></html>\n"
    extra = {**ONE_ISSUE_A_SHARD, "STATIC_PATHS": ["images", "notes"]}
    for build in range(2):  # cold, then warm: the early run never sees the static page
        tree({"notes/keeper.html": page}, extra=extra)
        entry = tmp_path / "output" / "pagefind" / "site" / "pagefind-entry.json"
        counted = json.loads(entry.read_text())["languages"]["en"]["page_count"]
        site = [p for p in (tmp_path / "output").rglob("*.html") if _in_site_shard(p, tmp_path)]
        assert counted == len(site), build
        assert (tmp_path / "output" / "notes" / "keeper.html") in site


def test_a_shard_indexed_again_keeps_the_files_whose_bytes_did_not_change(tree, tmp_path):
    tree(extra=ONE_ISSUE_A_SHARD)
    fragments = tmp_path / "output" / "pagefind" / "issues-2-2" / "fragment"
    before = {p.name: p.stat().st_ino for p in fragments.iterdir()}
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    after = {p.name: p.stat().st_ino for p in fragments.iterdir()}
    kept = [name for name in after if before.get(name) == after[name]]
    assert kept and len(kept) < len(after)  # the issue page's fragment kept, the article's new


def _empty_folders(folder):
    return [p for p in folder.rglob("*") if p.is_dir() and not any(p.iterdir())]


def test_no_empty_search_folder_is_left_from_an_older_output(tree, tmp_path):
    tree(extra=ONE_ISSUE_A_SHARD)
    tree()  # one shard now: the spare directory still has the old shards' folders
    tree()
    search = tmp_path / "output" / "pagefind"
    assert sorted(_bundles(search)) == ["issues-1-250", "site"]
    assert not _empty_folders(search)
    tree(extra={"NEWSLETTER_SEARCH": False})
    assert not (tmp_path / "output" / "pagefind").exists()


def test_a_preview_build_that_swaps_keeps_the_last_index(tree, tmp_path):
    tree()
    tree(cache=False)  # another output: the preview cannot update it in place
    tree(extra={"NEWSLETTER_LIVE": True})
    assert (tmp_path / "output" / "pagefind" / "shards.json").is_file()


def test_a_bundle_that_could_not_be_written_is_neither_kept_nor_listed(
    tree, tmp_path, monkeypatch, caplog
):
    from newsletter import output_tree

    tree(extra=ONE_ISSUE_A_SHARD)
    real = output_tree.copy_in

    def disk_full(scratch, bundle, current):
        if bundle.name == "issues-2-2":
            (bundle / "pagefind.js").parent.mkdir(parents=True, exist_ok=True)
            (bundle / "pagefind.js").write_text("half")
            raise OSError(28, "No space left on device")
        return real(scratch, bundle, current)

    monkeypatch.setattr(output_tree, "copy_in", disk_full)
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    search_folder = tmp_path / "output" / "pagefind"
    assert not (search_folder / "issues-2-2").exists()
    listed = json.loads((search_folder / "shards.json").read_text())
    assert listed == ["/pagefind/issues-1-1/", "/pagefind/site/"]
    assert "No space left on device" in caplog.text


def test_an_error_while_finishing_the_index_stops_pagefind(tree, tmp_path, monkeypatch):
    import threading

    from newsletter import site_search

    tree(extra=ONE_ISSUE_A_SHARD)

    def broken(*args, **kwargs):
        raise RuntimeError("the index is on fire")

    monkeypatch.setattr(site_search, "index_site", broken)
    two = MINIMAL["articles/two.md"].replace("Body two", "Body two, now with a lighthouse")
    with pytest.raises(RuntimeError):
        tree({"articles/two.md": two}, extra=ONE_ISSUE_A_SHARD)
    assert not site_search._running
    assert not [t for t in threading.enumerate() if t.name == "pagefind"]
    assert not list(tmp_path.glob(".output-building-*"))


def test_a_static_page_does_not_make_every_build_index_the_site_again(tree, tmp_path, monkeypatch):
    page = '<!doctype html><html lang="en"><title>Note</title><body data-pagefind-body>'
    page += "<p>A note.</p></body></html>\n"
    extra = {**ONE_ISSUE_A_SHARD, "STATIC_PATHS": ["images", "notes"]}
    tree({"notes/keeper.html": page}, extra=extra)
    indexed = _count_pagefind_runs(monkeypatch)
    tree({"notes/keeper.html": page}, extra=extra)
    assert indexed == []


def test_a_full_dev_shm_falls_back_to_the_disk(tree, tmp_path, monkeypatch, caplog):
    import sys

    from newsletter import search

    memory = tmp_path / "shm"  # stands in for /dev/shm, full
    memory.mkdir()
    monkeypatch.setattr(search, "_scratch_root", lambda: str(memory))
    real = search.command

    def full_memory(site, glob, bundle):
        if bundle.is_relative_to(memory):
            return [sys.executable, "-c", "import sys; sys.exit('No space left on device')"]
        return real(site, glob, bundle)

    monkeypatch.setattr(search, "command", full_memory)
    tree(extra=ONE_ISSUE_A_SHARD)
    listed = json.loads((tmp_path / "output" / "pagefind" / "shards.json").read_text())
    assert listed == ["/pagefind/issues-1-1/", "/pagefind/issues-2-2/", "/pagefind/site/"]
    assert "Pagefind failed" not in caplog.text
    assert not list(tmp_path.glob("masthead-pagefind-*")), "the scratch on disk is removed"
    assert not list(memory.iterdir())
