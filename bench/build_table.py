"""The side-by-side table of bench/build_bench.py --table: Masthead cold and warm, plain
Pelican, Hugo, and the preview's save-to-served time, on one generated archive per size.

Every build runs in a fresh subprocess (interpreter start included); CPU is user + system
time of the child and every process it waited for (the forked workers, Hugo's threads);
peak is the largest resident set of any one of those processes (ru_maxrss of children).

Hugo builds a minimal site over the same articles (bench/build_table.py HUGO_*): one page per
article (content/<section>/<slug>.md, the same Markdown bodies, Goldmark with its default
typographer), a list page per section, the `topics` and `authors` taxonomies with a list page
per term and per taxonomy, the home page, `buildFuture = true`; no RSS, sitemap or robots.
Masthead's build includes everything it makes: pages, feeds, sitemap, calendars, editions and
the Pagefind index.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETTINGS = """\
exec(open({conf!r}, encoding="utf-8").read())
PATH = {content!r}
OUTPUT_PATH = {output!r}
THEME = {theme!r}
PLUGIN_PATHS = [{plugins!r}]
"""

CHILD = """\
import json, sys
sys.path.insert(0, {root!r})
from masthead.build import build
report = build({settings!r}, cache={cache!r})
print(json.dumps({{"articles": report.articles, "editions": report.editions,
                  "search": report.search_seconds}}))
"""

HUGO_CONFIG = """\
baseURL = "https://example.org/"
title = "Front Line (Hugo)"
buildFuture = true
disableKinds = ["RSS", "sitemap", "robotsTXT"]
[taxonomies]
  topic = "topics"
  author = "authors"
"""
HUGO_SINGLE = (
    "<!doctype html><html><head><title>{{ .Title }}</title></head><body>"
    '<h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }} · {{ delimit .Params.authors ", " }}'
    "</p>{{ .Content }}<ul>{{ range .Params.topics }}<li>{{ . }}</li>{{ end }}</ul></body></html>\n"
)
HUGO_LIST = (
    "<!doctype html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>"
    '<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>'
    "</body></html>\n"
)


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float
    search: float | None = None  # of the wall seconds, Pagefind's indexing (Masthead only)


def timed(command: list[str], cwd: Path, what: str) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest any reaped child reached so far in this process:
    # each measured build runs from its own short-lived helper process to keep it its own.
    return Run(wall, cpu, after.ru_maxrss / 1024, _search_seconds(done.stdout))


def _search_seconds(stdout: str) -> float | None:
    """The search time a Masthead build child printed (see CHILD), if it printed one."""
    try:
        return json.loads(stdout.strip().splitlines()[-1]).get("search")
    except (ValueError, IndexError, AttributeError):
        return None


def isolated(command: list[str], cwd: Path, what: str) -> Run:
    """`timed` in a fresh helper process, so the peak memory is this command's alone."""
    code = (
        "import json, sys; sys.path.insert(0, {!r}); from build_table import timed; "
        "r = timed({!r}, {!r}, {!r}); print(json.dumps([r.wall, r.cpu, r.peak_mib, r.search]))"
    ).format(str(ROOT / "bench"), command, str(cwd), what)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    return Run(*json.loads(done.stdout.strip().splitlines()[-1]))


# --- the three sites --------------------------------------------------------------------


def masthead_project(site: Path, write_masthead, items, series) -> Path:
    """Content, a copy of the theme (the template change edits it) and a settings file."""
    write_masthead(items, series, site / "content")
    shutil.copytree(ROOT / "theme", site / "theme")
    settings = site / "pelicanconf.py"
    settings.write_text(
        SETTINGS.format(
            conf=str(ROOT / "pelicanconf.py"),
            content=str(site / "content"),
            output=str(site / "output"),
            theme=str(site / "theme"),
            plugins=str(ROOT / "plugins"),
        ),
        encoding="utf-8",
    )
    return settings


def masthead(settings: Path, cache: bool) -> Run:
    code = CHILD.format(root=str(ROOT), settings=str(settings), cache=cache)
    return isolated([sys.executable, "-c", code], settings.parent, "Masthead build")


def hugo_site(site: Path, items) -> None:
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    for item in items:
        section = item.section.lower().replace(" ", "-")
        folder = site / "content" / section
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "title": item.title,
            "date": f"{item.date}T08:00:00Z",
            "topics": item.topics,
            "authors": [item.author],
            "summary": item.summary,
        }
        (folder / f"{item.slug}.md").write_text(
            json.dumps(meta, ensure_ascii=False) + "\n\n" + item.body, encoding="utf-8"
        )


def hugo_binary() -> str:
    found = shutil.which("hugo")
    if found:
        return found
    print("hugo missing: apt-get install -y hugo", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "hugo"], check=True)
    return shutil.which("hugo") or sys.exit("hugo still missing after apt-get install hugo")


def hugo(site: Path, run: int) -> Run:
    out = site / f"public-{run}"
    return isolated([hugo_binary(), "--quiet", "-s", str(site), "-d", str(out)], site, "Hugo")


# --- warm builds ------------------------------------------------------------------------


def edit_body(content: Path) -> None:
    article = sorted((content / "articles").glob("*.md"))[
        len(os.listdir(content / "articles")) // 2
    ]
    article.write_text(article.read_text() + "\nOne more sentence, added for the bench.\n")


def add_issue(content: Path) -> None:
    numbers = [int(p.stem) for p in (content / "issues").glob("*.md")]
    n = max(numbers) + 1
    (content / "issues" / f"{n:04d}.md").write_text(
        f"---\nnumber: {n}\ndate: 2030-01-0{1 + n % 7}\n---\nA new issue.\n", encoding="utf-8"
    )
    for k in range(1, 6):
        (content / "articles" / f"new-{n}-{k}.md").write_text(
            f"---\ntitle: New article {k}\nissue: {n}\ntopics: [Staffing]\n---\n"
            f"A new *article*, number {k}, with [a link](https://example.org/{k}).\n",
            encoding="utf-8",
        )


def change_template(theme: Path) -> None:
    page = theme / "templates" / "article.html"
    page.write_text(page.read_text() + "\n{# bench: a template change #}<!-- changed -->\n")


# --- preview ----------------------------------------------------------------------------

PREVIEW_CHILD = """\
import json, sys, threading, time, urllib.request
sys.path.insert(0, {root!r})
from pathlib import Path
from masthead.preview import Preview
from masthead.project import open_project

def rss_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

project = open_project({settings!r})
stop = threading.Event()
preview = Preview(project, 0, lambda line: None)
thread = threading.Thread(target=preview.run, args=(stop,), daemon=True)
thread.start()
while not preview.server.thread.is_alive():
    time.sleep(0.05)
article = sorted((project.content / "articles").glob("*.md"))[3]
url = preview.server.url + "issues/1/" + article.stem + "/"
times, memory = [], [rss_mib()]
for save in range(10):
    marker = f"saved-{{save}}-{{time.time_ns()}}-marker"
    time.sleep(0.5)
    article.write_text(article.read_text() + f"\\n{{marker}}\\n")
    start = time.perf_counter()
    while marker not in urllib.request.urlopen(url).read().decode():
        time.sleep(0.01)
    times.append(time.perf_counter() - start)
    memory.append(rss_mib())
stop.set()
print(json.dumps({{"times": times, "memory": memory}}))
"""


def preview(settings: Path) -> dict:
    code = PREVIEW_CHILD.format(root=str(ROOT), settings=str(settings))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=settings.parent
    )
    if done.returncode:
        sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the table --------------------------------------------------------------------------


def table(sizes: list[int], work: Path, generate, write_masthead, write_plain) -> list[dict]:
    rows = []
    for n in sizes:
        items, series = generate(n)
        base = work / f"table-{n}"
        settings = masthead_project(base / "masthead", write_masthead, items, series)
        write_plain(items, base / "plain")
        hugo_site(base / "hugo", items)
        row: dict = {"n": n, "articles": len(items)}
        row["hugo"] = hugo(base / "hugo", 0)
        row["plain"] = isolated_plain(base / "plain")
        row["cold"] = masthead(settings, cache=False)
        masthead(settings, cache=True)  # fills the cache (not timed: that is a cold build)
        content = base / "masthead" / "content"
        edit_body(content)
        row["warm: one body"] = masthead(settings, cache=True)
        add_issue(content)
        row["warm: new issue, 5 articles"] = masthead(settings, cache=True)
        change_template(base / "masthead" / "theme")
        row["warm: web template"] = masthead(settings, cache=True)
        row["warm: nothing changed"] = masthead(settings, cache=True)
        if n <= 400:
            row["preview"] = preview(settings)
        rows.append(row)
        report(row)
    return rows


def isolated_plain(site: Path) -> Run:
    pelican = Path(sys.executable).with_name("pelican")
    command = [str(pelican), "content", "-s", "pelicanconf.py", "-o", str(site / "out"), "-q"]
    return isolated(command, site, "plain Pelican")


def report(row: dict) -> None:
    hugo_run: Run = row["hugo"]
    print(f"\n## {row['n']} issues, {row['articles']} articles\n")
    print("| build | wall s | of which search s | CPU s | peak MiB | wall / Hugo | CPU / Hugo |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label in ["hugo", "plain", "cold", *[k for k in row if k.startswith("warm")]]:
        run: Run = row[label]
        name = {"hugo": "Hugo (cold)", "plain": "plain Pelican (category menu off)",
                "cold": "Masthead cold (--no-cache)"}.get(label, f"Masthead {label}")  # fmt: skip
        search = "" if run.search is None else f"{run.search:.2f}"
        print(
            f"| {name} | {run.wall:.2f} | {search} | {run.cpu:.2f} | {run.peak_mib:.0f} | "
            f"{run.wall / hugo_run.wall:.2f} | {run.cpu / hugo_run.cpu:.2f} |"
        )
    cold, plain = row["cold"], row["plain"]
    print(
        f"\nMasthead cold / plain Pelican: wall {cold.wall / plain.wall:.2f}, "
        f"CPU {cold.cpu / plain.cpu:.2f}"
    )
    if "preview" in row:
        times, memory = row["preview"]["times"], row["preview"]["memory"]
        print(
            "Preview, save to served (10 saves; the watcher waits 20 ms for quiet): "
            + ", ".join(f"{t:.2f}" for t in times)
            + f" s; median {sorted(times)[len(times) // 2]:.2f} s"
        )
        print(
            f"Preview RSS: {memory[0]:.0f} MiB after the first build, "
            + ", ".join(f"{m:.0f}" for m in memory[1:])
            + " MiB after each save"
        )
    sys.stdout.flush()
