"""The output memo never leaves part of a group linked: a writer that renders the group
instead must not write through a link into the live output."""

from __future__ import annotations

import os

from newsletter.output_memo import OutputMemo, identity


def test_a_group_that_cannot_be_kept_leaves_no_link_behind(tmp_path):
    current, building = tmp_path / "output", tmp_path / "building"
    (current / "feeds").mkdir(parents=True)
    building.mkdir()
    names = ["feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json"]
    for name in names:
        (current / name).write_text("old feed")
    memo = OutputMemo(tmp_path / "memo", current, building)
    memo.known = {name: ("fingerprint", identity(current / name)) for name in names}
    os.unlink(current / names[1])  # gone from the current output: the group is rendered

    assert memo.keep(names, "fingerprint") is False
    assert not list(building.rglob("*.*"))  # the first name's link was taken back
    (building / "feeds").mkdir(exist_ok=True)
    (building / names[0]).write_text("new feed")
    assert (current / names[0]).read_text() == "old feed"  # the live output untouched


def test_a_file_replaced_in_the_current_output_is_not_kept(tmp_path):
    current, building = tmp_path / "output", tmp_path / "building"
    current.mkdir()
    building.mkdir()
    (current / "index.html").write_text("made by this fingerprint")
    memo = OutputMemo(tmp_path / "memo", current, building)
    memo.known = {"index.html": ("fingerprint", identity(current / "index.html"))}
    (current / "index.html").unlink()
    (current / "index.html").write_text("made by another build")  # same name, other file

    assert memo.keep(["index.html"], "fingerprint") is False
    assert not (building / "index.html").exists()


def test_a_previews_rebuild_in_place_keeps_proofs_and_search_and_drops_what_went(tree, tmp_path):
    live = {"NEWSLETTER_LIVE": True}
    tree(extra=live)  # the memo learns the whole output
    output = tmp_path / "output"
    (output / "proofs" / "2").mkdir(parents=True)
    (output / "proofs" / "2" / "index.html").write_text("a proof sheet")
    (output / "pagefind" / "site").mkdir(parents=True)  # as the preview's indexer makes it
    (output / "pagefind" / "site" / "pagefind.js").write_text("an index")
    workshop = output / "issues" / "2" / "workshop" / "index.html"
    assert workshop.is_file()

    tree({"articles/workshop.md": None}, extra=live)  # in place: the article goes

    assert not workshop.exists() and not workshop.parent.exists()
    assert (output / "proofs" / "2" / "index.html").read_text() == "a proof sheet"
    assert (output / "pagefind" / "site" / "pagefind.js").read_text() == "an index"
    assert "workshop" not in (output / "issues" / "2" / "index.html").read_text()


def _cold_equals(tree_output, tmp_path, build):
    from test_incremental import snapshot

    build(tmp_path / "cold" / "output", live=False, cache=False)
    return snapshot(tree_output, True) == snapshot(tmp_path / "cold" / "output", True)


def _builder(tmp_path, content):
    from conftest import ROOT, TODAY

    from masthead import build as site

    def build(output, live=True, cache=True):
        extra = {"NEWSLETTER_TODAY": TODAY, "NEWSLETTER_LIVE": live, "NEWSLETTER_WORKERS": 1}
        site.build(ROOT / "pelicanconf.py", output, content=content, extra=extra, cache=cache)

    return build


def test_a_build_between_two_preview_builds_is_not_taken_for_the_previews(tmp_path):
    """The memo a preview kept in memory knows the output it updated; a `build` (here with
    the cache off) swaps in another one, whose files the next preview build must judge."""
    from conftest import MINIMAL, write_tree

    content = write_tree(tmp_path, MINIMAL)
    build, output = _builder(tmp_path, content), tmp_path / "output"
    build(output)
    build(output)
    zed = "---\ntitle: Zebras at the desk\nissue: 2\ntopics: [Zebras]\n---\nStripes.\n"
    write_tree(tmp_path, {"articles/zed.md": zed})
    build(output, live=False, cache=False)  # `build --no-cache`: no memo saved
    write_tree(tmp_path, {"articles/zed.md": None})
    build(output)  # the preview again
    assert not (output / "topics" / "zebras").exists()
    assert _cold_equals(output, tmp_path, build)


def test_a_file_that_becomes_a_folder_in_a_preview(tmp_path):
    from conftest import MINIMAL, write_tree

    content = write_tree(tmp_path, {**MINIMAL, "images/pics": "a file"})
    build, output = _builder(tmp_path, content), tmp_path / "output"
    build(output)
    build(output)
    (content / "images" / "pics").unlink()
    write_tree(tmp_path, {"images/pics/a.txt": "now a folder"})
    build(output)  # in place: the file in the way goes first
    assert (output / "images" / "pics" / "a.txt").read_text() == "now a folder"
    assert _cold_equals(output, tmp_path, build)
