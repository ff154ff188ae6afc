"""Warm builds (the build cache, unchanged files kept) give exactly what a cold build gives.

A seeded random walk of edits: bodies, front matter, new, renamed and deleted articles, a new
issue, a series part taken or freed, a web template, an email template and a setting. After
each edit one build uses the cache and keeps its output, another renders everything again
into a fresh directory; every file must be the same bytes (edition.json's `built_at` aside:
a reused edition keeps the time it was built).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import MINIMAL, ROOT, write_tree

from masthead import build as site

TOPICS = ["Listening", "Escalation", "Queues", "Hiring", "Tone"]
WORDS = [
    "queue",
    "shift",
    "owner",
    "reply",
    "promise",
    "steady",
    "careful",
    "customer",
    "handoff",
    "habit",
]


class Walk:
    """One content tree, its own theme copy and settings, edited step by step."""

    def __init__(self, root: Path, seed: int):
        self.root, self.rng = root, random.Random(seed)
        self.files: dict[str, str | None] = dict(MINIMAL)
        self.generated: dict[str, dict] = {}
        self.issues = 2
        self.theme = root / "theme"
        shutil.copytree(ROOT / "theme", self.theme)
        self.settings: dict = {"THEME": str(self.theme)}
        for _ in range(6):
            self.add_article()

    # --- edits ------------------------------------------------------------------------

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def add_article(self) -> str:
        name = f"gen-{len(self.generated) + len(self.files)}-{self.rng.randrange(10**6)}"
        self.generated[name] = {
            "title": self.words(3).title(),
            "issue": self.rng.randint(1, self.issues),
            "topics": self.rng.sample(TOPICS, self.rng.randint(0, 2)),
            "body": f"{self.words(12)}, see [one]({{filename}}one.md).\n\n- {self.words(5)}\n",
        }
        return f"added {name}"

    def edit_body(self) -> str:
        name = self.rng.choice(sorted(self.generated))
        self.generated[name]["body"] += f"\n*{self.words(6)}* and **{self.words(2)}**.\n"
        return f"body of {name}"

    def edit_front_matter(self) -> str:
        name = self.rng.choice(sorted(self.generated))
        article = self.generated[name]
        field = self.rng.choice(["title", "topics", "issue", "section", "summary"])
        if field == "title":
            article["title"] = self.words(4).title()
        elif field == "topics":  # another casing: a topic is named as first written
            topics = self.rng.sample(TOPICS, self.rng.randint(0, 3))
            article["topics"] = [self.rng.choice([t, t.lower(), t.upper()]) for t in topics]
        elif field == "summary":
            article["summary"] = self.words(5)
        elif field == "issue":
            article["issue"] = self.rng.randint(1, self.issues)
        else:
            article["section"] = self.rng.choice(["Features", "Mailbag", "Recommended Reading"])
        return f"{field} of {name}"

    def rename(self) -> str:
        old = self.rng.choice(sorted(self.generated))
        new = f"renamed-{self.rng.randrange(10**6)}"
        self.generated[new] = self.generated.pop(old)
        self.files[f"articles/{old}.md"] = None
        return f"{old} renamed {new}"

    def delete(self) -> str:
        if len(self.generated) < 3:
            return self.add_article()
        name = self.rng.choice(sorted(self.generated))
        del self.generated[name]
        self.files[f"articles/{name}.md"] = None
        return f"deleted {name}"

    def add_issue(self) -> str:
        self.issues += 1
        n = self.issues
        self.files[f"issues/{n:03}.md"] = f"---\nnumber: {n}\ndate: 2025-02-{n:02}\n---\nHi {n}.\n"
        return f"issue {n}"

    def series_part(self) -> str:
        """Take or free part 3 of LISTEN: the series box of parts 1 and 2 changes with it."""
        taker = next((n for n, a in self.generated.items() if a.get("part")), None)
        if taker:
            del self.generated[taker]["part"]
            return f"{taker} leaves the series"
        name = self.rng.choice(sorted(self.generated))
        self.generated[name]["part"] = 3
        return f"{name} becomes part 3"

    def series_title(self) -> str:
        """The series box of every part, the series page and its feed show the title."""
        title = self.words(2).title()
        self.files["series/listen.md"] = (
            f"---\ntitle: {title}\nparts: [Look, Inquire, Summarise]\n---\n"
            f"Three parts on {self.words(2)}.\n"
        )
        return f"series title {title}"

    def issue_front_matter(self) -> str:
        """An issue's date or status: rows, neighbours, listings and feeds follow."""
        n = self.rng.randint(1, self.issues)
        day = self.rng.randint(1, 28)
        status = "draft" if n > 2 and self.rng.random() < 0.5 else "published"
        self.files[f"issues/{n:03}.md"] = (
            f"---\nnumber: {n}\ndate: 2025-0{1 + n % 3}-{day:02}\nstatus: {status}\n---\nHi {n}.\n"
        )
        return f"issue {n} {status} on day {day}"

    def today(self) -> str:
        """The build date: the workshop of 2025-01-20 is ahead or past."""
        self.settings["NEWSLETTER_TODAY"] = self.rng.choice(["2025-01-01", "2025-02-01"])
        return f"today {self.settings['NEWSLETTER_TODAY']}"

    def drafts(self) -> str:
        """Drafts in or out (preview builds with them, `build` without)."""
        self.settings["NEWSLETTER_DRAFTS"] = not self.settings.get("NEWSLETTER_DRAFTS")
        return f"drafts {self.settings['NEWSLETTER_DRAFTS']}"

    def web_template(self) -> str:
        path = self.theme / "templates" / "article.html"
        path.write_text(path.read_text() + f"\n<!-- {self.words(2)} -->\n")
        return "article.html"

    def email_template(self) -> str:
        path = self.theme / "email" / "_footer.mjml.j2"
        text = path.read_text()
        path.write_text(text.replace("Pass it on:", f"Pass it on ({self.words(1)}):", 1))
        return "_footer.mjml.j2"

    def setting(self, which: str | None = None) -> str:
        """The tagline (every page), the feeds' length, or Jinja's whitespace options (every
        template compiles to other code: the compiled templates kept must not be reused)."""
        from pelicanconf import JINJA_ENVIRONMENT, NEWSLETTER

        which = which or self.rng.choice(["tagline", "feeds", "jinja"])
        if which == "tagline":
            self.settings["NEWSLETTER"] = {**NEWSLETTER, "tagline": self.words(4)}
        elif which == "feeds":
            self.settings["FEED_MAX_ITEMS"] = self.rng.randint(1, 3)
        else:
            trim = not self.settings.get("JINJA_ENVIRONMENT", JINJA_ENVIRONMENT)["trim_blocks"]
            self.settings["JINJA_ENVIRONMENT"] = {**JINJA_ENVIRONMENT, "trim_blocks": trim}
        return f"setting {which}"

    def macros_template(self) -> str:
        """A template the page templates import: every page showing topics changes."""
        path = self.theme / "templates" / "_macros.html"
        path.write_text(path.read_text().replace("Topics:", f"Topics ({self.words(1)}):", 1))
        return "_macros.html"

    def move_linked(self) -> str:
        """The article every generated body links to moves to the other issue: each of
        those bodies, resolved before, points at its new URL."""
        text = textwrap.dedent(self.files["articles/one.md"]).lstrip("\n")
        moved = (
            text.replace("issue: 1", "issue: 2")
            if "issue: 1" in text
            else text.replace("issue: 2", "issue: 1")
        )
        self.files["articles/one.md"] = moved
        return "one.md moved"

    def page(self) -> str:
        """A page Pelican reads and writes itself (content/pages/)."""
        self.files["pages/about.md"] = f"Title: About\nSlug: about\n\nAbout {self.words(3)}.\n"
        return "about page"

    EDITS = (
        [edit_body] * 4 + [edit_front_matter] * 4 + [add_article, rename, delete, add_issue]
        + [series_part, web_template, email_template, setting]
        + [series_title, issue_front_matter, today, drafts, macros_template, page, move_linked]
    )  # fmt: skip

    def step(self, edit=None) -> str:
        return (edit or self.rng.choice(self.EDITS))(self)

    # --- builds -----------------------------------------------------------------------

    def write(self) -> Path:
        files = dict(self.files)
        for name, a in self.generated.items():
            meta = [f"title: {a['title']}", f"issue: {a['issue']}", f"topics: {a['topics']}"]
            meta += [f"section: {a['section']}"] if "section" in a else []
            meta += [f"summary: {a['summary']}"] if "summary" in a else []
            meta += ["series: listen", f"part: {a['part']}"] if "part" in a else []
            files[f"articles/{name}.md"] = "---\n" + "\n".join(meta) + "\n---\n" + a["body"]
        self.files = {k: v for k, v in self.files.items() if v is not None}
        # Only the files an edit changed are written, as an editor saves one file: the
        # others keep their inode and times (what a preview's rebuild relies on).
        return write_tree(self.root, {k: v for k, v in files.items() if self._changed(k, v)})

    def _changed(self, name: str, text: str | None) -> bool:
        path = self.root / "content" / name
        if text is None or not path.is_file():
            return True
        return path.read_text(encoding="utf-8") != textwrap.dedent(text).lstrip("\n")

    def build(self, output: Path, cache: bool, live: bool = False) -> None:
        content = self.write()
        extra = {**self.settings, "NEWSLETTER_WORKERS": 1, "NEWSLETTER_LIVE": live}
        site.build(ROOT / "pelicanconf.py", output, content=content, extra=extra, cache=cache)


def snapshot(output: Path, without_search: bool = False) -> dict[str, bytes]:
    files = {}
    for path in sorted(output.rglob("*")):
        if without_search and path.relative_to(output).parts[0] == "pagefind":
            continue
        if path.is_file():
            data = path.read_bytes()
            if path.name == "edition.json":
                meta = json.loads(data)
                meta.pop("built_at")
                data = json.dumps(meta, sort_keys=True).encode()
            files[path.relative_to(output).as_posix()] = data
    return files


def walk(
    tmp_path: Path, seed: int, steps: int, every_kind: bool = False, live: bool = False
) -> None:
    """`steps` random edits; with `every_kind`, each kind of edit once first, shuffled.
    `live`: the warm builds run as a preview's do (NEWSLETTER_LIVE: files, cache entries
    and the output memo kept in this process's memory; the search index made elsewhere,
    so it is not compared)."""
    project = Walk(tmp_path / "project", seed)
    kinds = list(dict.fromkeys(Walk.EDITS)) if every_kind else []
    project.rng.shuffle(kinds)
    warm, cold = tmp_path / "project" / "output", tmp_path / "cold"
    project.build(warm, cache=True, live=live)
    for number in range(len(kinds) + steps):
        edit = project.step(kinds[number] if number < len(kinds) else None)
        project.build(warm, cache=True, live=live)
        shutil.rmtree(cold, ignore_errors=True)
        project.build(cold / "output", cache=False)
        expected, got = snapshot(cold / "output", live), snapshot(warm, live)
        assert sorted(got) == sorted(expected), f"step {number} ({edit}): other files"
        differ = [name for name in expected if got[name] != expected[name]]
        assert not differ, f"step {number} ({edit}): {differ[:5]} differ from a cold build"


def test_warm_builds_match_cold_builds(tmp_path):
    walk(tmp_path, seed=15, steps=2, every_kind=True)


def test_a_jinja_option_change_compiles_the_templates_again(tmp_path):
    project = Walk(tmp_path / "project", seed=3)
    warm, cold = tmp_path / "project" / "output", tmp_path / "cold" / "output"
    project.build(warm, cache=True)
    project.setting("jinja")  # trim_blocks off: the same sources compile to other code
    project.build(warm, cache=True)
    project.build(cold, cache=False)
    assert snapshot(warm) == snapshot(cold)


def test_a_previews_builds_match_cold_builds(tmp_path):
    walk(tmp_path, seed=16, steps=2, every_kind=True, live=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_warm_builds_match_cold_builds_long(tmp_path, seed):
    walk(tmp_path, seed=seed, steps=40)


def test_unchanged_files_keep_their_bytes_inode_and_mtime(tree, tmp_path):
    tree()
    output = tmp_path / "output"
    before = {p.relative_to(output): p.stat() for p in output.rglob("*") if p.is_file()}
    tree({"articles/workshop.md": MINIMAL["articles/workshop.md"] + "Bring a friend.\n"})
    after = {p.relative_to(output): p.stat() for p in output.rglob("*") if p.is_file()}
    # Pagefind names its index files after their content: those change names, not bytes.
    assert {p for p in after if p.parts[0] != "pagefind"} == {
        p for p in before if p.parts[0] != "pagefind"
    }
    common = after.keys() & before.keys()
    changed = {p for p in common if after[p].st_ino != before[p].st_ino}
    kept = common - changed
    assert Path("issues/2/workshop/index.html") in changed
    assert Path("editions/2/email.html") in changed and Path("editions/1/email.html") in kept
    assert Path("issues/1/one/index.html") in kept and Path("about/index.html") in kept
    for path in kept:
        assert after[path].st_mtime_ns == before[path].st_mtime_ns


def test_a_corrupt_cache_is_discarded_with_a_warning(tree, tmp_path):
    tree()
    expected = snapshot(tmp_path / "output")
    entries = [p for p in (tmp_path / ".masthead-cache").rglob("*") if p.is_file()]
    assert entries
    for path in entries:
        path.write_bytes(b"not a pickle")
    report = tree()
    warnings = [str(p) for p in report.warnings]
    assert any("build cache discarded" in w and "corrupt" in w for w in warnings), warnings
    assert snapshot(tmp_path / "output") == expected
    report = tree()  # the new cache works: no warning
    assert not [w for w in map(str, report.warnings) if "cache" in w]


def test_the_cache_can_be_turned_off(tree, tmp_path):
    tree(cache=False)
    tree(extra={"NEWSLETTER_CACHE": False})
    assert not (tmp_path / ".masthead-cache").exists()
    assert snapshot(tmp_path / "output")


def test_the_cache_is_never_inside_the_output(tree, tmp_path):
    tree(extra={"NEWSLETTER_CACHE": ".cache-here"})
    assert (tmp_path / ".cache-here" / "html").is_dir()
    assert not [p for p in (tmp_path / "output").rglob("*") if "cache" in p.name]


def test_cache_entries_of_a_deleted_article_are_pruned(tree, tmp_path):
    extra = {"NEWSLETTER_CACHE": str(tmp_path / "cache")}
    tree({"articles/extra.md": "---\ntitle: Extra\nissue: 1\n---\nSomething else.\n"}, extra=extra)
    with_extra = len(os.listdir(tmp_path / "cache" / "html"))
    tree({"articles/extra.md": None}, extra=extra)
    assert len(os.listdir(tmp_path / "cache" / "html")) == with_extra - 1


def test_a_warm_build_reports_the_same_problems(tree):
    changes = {"articles/x.md": "---\ntitle: X\nissue: 2\n---\nHi.\n\n<script>alert(1)</script>\n"}
    cold = [str(p) for p in tree(changes).warnings]
    warm = [str(p) for p in tree(changes).warnings]
    assert any("content/articles/x.md:" in w and "removed" in w for w in cold), cold
    assert warm == cold
