"""Build-time benchmark: Masthead versus plain Pelican on the same generated articles.

    .venv/bin/python bench/build_bench.py [--sizes 100 400] [--repeat 3] [--profile 400]
    .venv/bin/python bench/build_bench.py --table --sizes 400 2000   # vs Hugo, warm, preview

For each N it generates N issues of 5 articles (topics, six-part series, events,
cross-references, ~250-word Markdown bodies) twice, in a temporary directory:

* Masthead's format (issues/, articles/, series/ with YAML front matter, plus the sample's
  pages/ and images/), built with `masthead.build.build()` and the repository's pelicanconf.py;
* plain Pelican's format (Title:/Date:/Category:/Tags:/Author:/Slug: lines, the same bodies),
  built with `pelican content -s pelicanconf.py`: default theme (notmyidea), default settings
  (default feeds, no pagination), content cache off, and Masthead's Markdown extensions
  (extra + smarty) so both do the same Markdown work.

Every build runs in a fresh subprocess; the wall-clock time of the whole subprocess (interpreter
start, imports, build) is measured, repeated, and the best run kept. `--profile N` also runs the
Masthead build of size N under cProfile and prints the top lines by cumulative time (the stats
file is saved to bench/results/).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ARTICLES_PER_ISSUE = 5
SERIES_EVERY = 10  # a six-part series starts every ten issues...
SERIES_PARTS = 6  # ...and runs in consecutive issues
FIRST_ISSUE = datetime.date(2018, 1, 2)  # a Tuesday

TOPICS = [
    "Staffing", "Forecasting", "Metrics", "Team Health", "Coaching", "Hiring", "Onboarding",
    "Quality Assurance", "Knowledge Base", "Self-Service", "Escalations", "Churn", "Surveys",
    "CSAT", "Tooling", "Automation", "Chat", "Phone", "Email Support", "Remote Work",
    "Leadership", "Scheduling", "Training", "Customer Feedback", "Service Recovery",
    "Handoffs", "Writing", "Budgets", "Vendors", "Community",
]  # fmt: skip
AUTHORS = [
    "Priya Lindqvist", "Maren Okafor", "Tomasz Reyes", "Dana Whitcombe", "Luis Ferreira",
    "Aiko Brandt", "Sam Oduya", "Hélène Marsh",
]  # fmt: skip
VOCABULARY = (
    "team customer queue agent lead week contact case answer question schedule shift hour "
    "plan budget change habit check measure score survey reply ticket chat phone email "
    "handoff owner note policy help article tool macro training coach review meeting "
    "trouble outage spike forecast staff hire leave rule promise trust voice tone clear "
    "simple quick careful honest small steady useful real common better every first last "
    "start finish count compare decide write read listen ask explain share track test"
)
WORDS = VOCABULARY.split(" ")
LOCATIONS = ["Portsmouth Public Library", "Dover Grange Hall", "Online (video call)"]


# --- content generation ------------------------------------------------------------------------


@dataclass
class Item:
    """One generated article, in a neutral form both writers render."""

    slug: str
    title: str
    issue: int
    date: datetime.date
    author: str
    section: str
    topics: list[str]
    summary: str
    body: str
    series: str | None = None
    part: int | None = None
    event: dict = field(default_factory=dict)


def _words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


def _sentence(rng: random.Random, n: int = 12) -> str:
    words = _words(rng, n)
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random) -> str:
    return " ".join(w.capitalize() for w in _words(rng, rng.randint(3, 6)))


def _body(rng: random.Random, earlier: list[str]) -> str:
    """~250 words: paragraphs with emphasis and links, two headings, two lists."""
    ref = rng.choice(earlier) if earlier else None
    ref2 = rng.choice(earlier) if len(earlier) > 3 else None
    link = f"[an earlier piece]({{filename}}{ref}.md)" if ref else "*our first issue*"
    intro = (
        f"{_sentence(rng)} {_sentence(rng, 10)} Read {link} for the background, "
        f"and **{' '.join(_words(rng, 3))}** before you {' '.join(_words(rng, 4))}. "
        f"{_sentence(rng, 14)} See [the guide](https://example.org/guide/{rng.randint(1, 99)}) "
        f"for *{' '.join(_words(rng, 2))}*."
    )
    bullets = "\n".join(f"- {' '.join(_words(rng, rng.randint(5, 9)))};" for _ in range(4))
    middle = f"{_sentence(rng, 16)} {_sentence(rng, 11)} {_sentence(rng, 13)}"
    steps = "\n".join(
        f"{i}. **{rng.choice(WORDS).capitalize()}**: {' '.join(_words(rng, 8))}." for i in (1, 2, 3)
    )
    also = f" Compare [this one]({{filename}}{ref2}.md)." if ref2 else ""
    closing = f"{_sentence(rng, 15)} {_sentence(rng, 12)}{also} {_sentence(rng, 9)}"
    return (
        f"{intro}\n\n## {_title(rng)}\n\n{_sentence(rng)}\n\n{bullets}\n\n{middle}\n\n"
        f"## {_title(rng)}\n\n{steps}\n\n{closing}\n"
    )


def generate(n_issues: int, seed: int = 7) -> tuple[list[Item], dict[str, list[str]]]:
    """N issues of five articles; returns the articles and series (slug -> planned titles)."""
    rng = random.Random(seed)
    items: list[Item] = []
    series: dict[str, list[str]] = {}
    running: dict[str, int] = {}  # series slug -> first issue
    for number in range(1, n_issues + 1):
        date = FIRST_ISSUE + datetime.timedelta(days=7 * (number - 1))
        if (number - 1) % SERIES_EVERY == 0:
            slug = f"series-{(number - 1) // SERIES_EVERY + 1:03d}"
            series[slug] = [_title(rng) for _ in range(SERIES_PARTS)]
            running[slug] = number
        for position in range(ARTICLES_PER_ISSUE):
            slug = f"i{number:04d}-{position + 1}"
            earlier = [item.slug for item in items[-60:]]
            item = Item(
                slug=slug,
                title=_title(rng),
                issue=number,
                date=date,
                author=rng.choice(AUTHORS),
                section="Features",
                topics=rng.sample(TOPICS, rng.randint(1, 3)),
                summary=_sentence(rng, 14),
                body=_body(rng, earlier),
            )
            if position == 0:
                for name, start in running.items():
                    part = number - start + 1
                    if 1 <= part <= SERIES_PARTS:
                        item.series, item.part, item.title = name, part, series[name][part - 1]
            elif position == 3 and number % 3 == 0:
                item.section = "Events"
                item.event = {
                    "event_date": f"{date + datetime.timedelta(days=9)} 17:30",
                    "location": rng.choice(LOCATIONS),
                    "register": f"https://example.org/register/{number}",
                }
            elif position == 4:
                item.section = rng.choice(["Recommended Reading", "Mailbag"])
            items.append(item)
    return items, series


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def write_masthead(items: list[Item], series: dict[str, list[str]], content: Path) -> None:
    for kind in ("issues", "articles", "series"):
        (content / kind).mkdir(parents=True)
    for kind in ("pages", "images"):
        shutil.copytree(ROOT / "content" / kind, content / kind)
    numbers = sorted({item.issue: item.date for item in items}.items())
    for number, date in numbers:
        (content / "issues" / f"{number:04d}.md").write_text(
            f"---\nnumber: {number}\ndate: {date}\npreheader: {_q('Issue ' + str(number))}\n"
            f"---\nWelcome to issue {number}. *This week*: five pieces, one of them new.\n",
            encoding="utf-8",
        )
    for slug, planned in series.items():
        parts = "".join(f"  - {_q(title)}\n" for title in planned)
        (content / "series" / f"{slug}.md").write_text(
            f"---\ntitle: {_q(slug.replace('-', ' ').title())}\nsubtitle: Six parts\n"
            f"parts:\n{parts}---\nA six-part series, **one part per issue**.\n",
            encoding="utf-8",
        )
    for item in items:
        meta = [
            f"title: {_q(item.title)}",
            f"issue: {item.issue}",
            f"author: {_q(item.author)}",
            f"section: {_q(item.section)}",
            f"topics: [{', '.join(_q(t) for t in item.topics)}]",
            f"summary: {_q(item.summary)}",
        ]
        if item.series:
            meta += [f"series: {item.series}", f"part: {item.part}"]
        meta += [f"{key}: {_q(value)}" for key, value in item.event.items()]
        (content / "articles" / f"{item.slug}.md").write_text(
            "---\n" + "\n".join(meta) + "\n---\n" + item.body, encoding="utf-8"
        )


PLAIN_CONF = """\
AUTHOR = "Bench"
SITENAME = "Front Line (plain Pelican)"
SITEURL = ""
PATH = "content"
TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
DISPLAY_CATEGORIES_ON_MENU = False  # the default theme's menu makes every page list them all
# The same Markdown extensions as Masthead's pelicanconf.py, so both do the same Markdown work
# (smarty alone doubles it); everything else is Pelican's default.
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight"},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}
"""


def write_plain(items: list[Item], site: Path) -> None:
    """The same articles as plain Pelican articles, flat in content/ (so `{filename}x.md`
    links resolve unchanged), with Pelican's `Key: value` metadata."""
    content = site / "content"
    content.mkdir(parents=True)
    (site / "pelicanconf.py").write_text(PLAIN_CONF, encoding="utf-8")
    for item in items:
        lines = [
            f"Title: {item.title}",
            f"Date: {item.date} 08:00",
            f"Category: {item.section}",
            f"Tags: {', '.join(item.topics)}",
            f"Author: {item.author}",
            f"Slug: {item.slug}",
            f"Summary: {item.summary}",
        ]
        if item.series:
            lines.append(f"Series: {item.series}")  # kept as plain metadata, unused by the theme
        lines += [f"{key.title().replace('_', '')}: {value}" for key, value in item.event.items()]
        (content / f"{item.slug}.md").write_text(
            "\n".join(lines) + "\n\n" + item.body, encoding="utf-8"
        )


# --- builds --------------------------------------------------------------------------------------

MASTHEAD_CHILD = """\
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, {root!r})
from masthead.build import build
report = build({settings!r}, output={output!r}, content={content!r})
print(json.dumps({{"inner": time.perf_counter() - start, "articles": report.articles,
                  "issues": report.issues, "editions": report.editions,
                  "search": report.search_seconds or 0.0}}))
"""

MASTHEAD_PROFILE = """\
import cProfile, pstats, sys, tempfile
from pathlib import Path
sys.path.insert(0, {root!r})
from masthead.build import build
from newsletter import parallel
workers = tempfile.mkdtemp()
parallel.PROFILE_DIR = workers  # the forked Markdown and edition workers profile themselves
profile = cProfile.Profile()
profile.enable()
build({settings!r}, output={output!r}, content={content!r})
profile.disable()
profile.dump_stats({stats!r} + ".main")
stats = pstats.Stats({stats!r} + ".main")
parts = sorted(Path(workers).glob("*.prof"))
for part in parts:
    stats.add(str(part))
stats.dump_stats({stats!r})
import io, site
out = io.StringIO()
stats.stream = out
stats.files = []  # not the list of {{len(parts) + 1}} stats files
print(f"Main process and {{len(parts)}} worker chunks, summed. The main process's waits for the",
      "workers show as lock acquire (pool.map); the workers' own work is listed beside it.",
      file=out)
print("Top {top} by cumulative time:", file=out)
stats.sort_stats("cumulative").print_stats({top})
print("Top 15 by own time:", file=out)
stats.sort_stats("tottime").print_stats(15)
text = out.getvalue()
for prefix in site.getsitepackages():
    text = text.replace(prefix + "/", "")
print(text.replace({root!r} + "/", ""))
"""


# Phases without the profiler's overhead: the build's own timers (plugins/newsletter/timing.py),
# which add up the forked workers' time too; wall and CPU seconds summed over processes.
MASTHEAD_PHASES = """\
import json, sys, time
begin = time.perf_counter()
sys.path.insert(0, {root!r})
from masthead.build import build
from newsletter import timing
imports = time.perf_counter() - begin
start, cpu = time.perf_counter(), time.process_time()
build({settings!r}, output={output!r}, content={content!r})
spent = {{name: [wall, c] for name, (wall, c, _n) in timing.totals().items()}}
spent["imports (masthead.build, pelican)"] = [imports, imports]
spent["build total (masthead.build.build, this process)"] = [
    time.perf_counter() - start, time.process_time() - cpu]
print(json.dumps(spent))
"""


def phases(content: Path, output: Path, repeat: int) -> dict[str, list[float]]:
    """Best-of-`repeat` [wall, CPU] seconds per phase of one Masthead build, fresh process each."""
    runs = []
    for i in range(repeat):
        code = MASTHEAD_PHASES.format(
            root=str(ROOT),
            settings=str(ROOT / "pelicanconf.py"),
            output=str(output / str(i)),
            content=str(content),
        )
        os.sync()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["build total (masthead.build.build, this process)"][0])


def markdown_costs(items: list[Item]) -> list[tuple[str, float]]:
    """ms per article body for Masthead's MARKDOWN setting and cheaper alternatives."""
    from markdown import Markdown

    configs = [
        ("extra + smarty (pelicanconf.py MARKDOWN)", ["extra", "smarty"]),
        ("extra only", ["extra"]),
        ("Pelican default (codehilite, extra, meta, toc)", ["codehilite", "extra", "meta", "toc"]),
    ]
    bodies = [item.body for item in items]
    costs = []
    for label, names in configs:
        md = Markdown(extensions=[f"markdown.extensions.{n}" for n in names], output_format="html5")
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for body in bodies:
                md.reset().convert(body)
            best = min(best, time.perf_counter() - start)
        costs.append((label, 1000 * best / len(bodies)))
    return costs


def count_files(directory: Path) -> int:
    return sum(1 for p in directory.rglob("*") if p.is_file())


@dataclass
class Run:
    wall: float  # seconds, whole subprocess
    cpu: float  # user + system seconds of the subprocess (less sensitive to a busy machine)
    info: dict


def _timed(command: list[str], cwd: Path, what: str) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{what} build failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.strip().splitlines()
    info = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Run(wall, cpu, info)


def run_masthead(content: Path, output: Path) -> Run:
    code = MASTHEAD_CHILD.format(
        root=str(ROOT),
        settings=str(ROOT / "pelicanconf.py"),
        output=str(output),
        content=str(content),
    )
    return _timed([sys.executable, "-c", code], ROOT, "Masthead")


def run_plain(site: Path, output: Path) -> Run:
    pelican = Path(sys.executable).with_name("pelican")
    command = [str(pelican), "content", "-s", "pelicanconf.py", "-o", str(output), "-q"]
    return _timed(command, site, "plain Pelican")


@dataclass
class Row:
    n: int
    articles: int
    masthead: Run  # best wall clock of the repeats
    plain: Run
    masthead_files: int
    plain_files: int
    masthead_cpu: float  # best CPU time of the repeats
    plain_cpu: float
    paired: float  # median over repeats of Masthead / Pelican wall time, run back to back

    @property
    def ratio(self) -> float:
        return self.masthead.wall / self.plain.wall


def bench(n: int, repeat: int, work: Path) -> Row:
    items, series = generate(n)
    masthead_content = work / f"masthead-{n}" / "content"
    plain_site = work / f"plain-{n}"
    write_masthead(items, series, masthead_content)
    write_plain(items, plain_site)
    m_runs, p_runs = [], []
    for i in range(repeat):  # interleaved, so a busy spell on the machine hits both alike
        m_out, p_out = work / f"masthead-{n}" / f"output-{i}", plain_site / f"output-{i}"
        for runs, runner, source, output in (
            (m_runs, run_masthead, masthead_content, m_out),
            (p_runs, run_plain, plain_site, p_out),
        ):
            # A fresh output directory each run, nothing deleted while timing, dirty pages of
            # earlier runs flushed first: no run pays for another's file-system work.
            os.sync()
            runs.append(runner(source, output))
    m_best = min(m_runs, key=lambda r: r.wall)
    if m_best.info["articles"] != len(items):
        sys.exit(f"Masthead built {m_best.info['articles']} articles, expected {len(items)}")
    return Row(
        n,
        len(items),
        m_best,
        min(p_runs, key=lambda r: r.wall),
        count_files(m_out),
        count_files(p_out),
        min(r.cpu for r in m_runs),
        min(r.cpu for r in p_runs),
        statistics.median(m.wall / p.wall for m, p in zip(m_runs, p_runs, strict=True)),
    )


def profile(n: int, work: Path, top: int) -> None:
    items, series = generate(n)
    content = work / f"profile-{n}" / "content"
    write_masthead(items, series, content)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stats = RESULTS / f"masthead-{n}.prof"
    code = MASTHEAD_PROFILE.format(
        root=str(ROOT),
        settings=str(ROOT / "pelicanconf.py"),
        output=str(work / f"profile-{n}" / "output"),
        content=str(content),
        stats=str(stats),
        top=top,
    )
    print(f"\n## Where the Masthead build's time goes, N={n} ({len(items)} articles)\n")
    print("Phases (no profiler, best of 3 fresh processes; wall and CPU seconds summed over")
    print("the main process and the forked workers, so phases in workers can exceed the wall):")
    spent = phases(content, work / f"profile-{n}" / "phases-output", 3)
    for label, (wall, cpu) in spent.items():
        print(f"  {label:<52} {wall:6.2f}s wall {cpu:6.2f}s CPU")
    print("\nMarkdown alone, per article body (same generated bodies):")
    for label, ms in markdown_costs(items):
        print(f"  {label:<58} {ms:6.2f} ms")
    print(f"\ncProfile (stats saved to {stats.relative_to(ROOT)}):\n", flush=True)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400], help="issue counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per build; the best is kept")
    parser.add_argument("--profile", type=int, metavar="N", help="also profile Masthead at N")
    parser.add_argument("--top", type=int, default=25, help="profile lines to show")
    parser.add_argument(
        "--table",
        action="store_true",
        help="cold and warm Masthead, plain Pelican, Hugo and preview (bench/build_table.py)",
    )
    args = parser.parse_args()
    if args.table:
        import build_table

        print(build_table.__doc__)
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)
        with tempfile.TemporaryDirectory(prefix="masthead-table-") as tmp:
            build_table.table(args.sizes, Path(tmp), generate, write_masthead, write_plain)
        return

    edition = ROOT / "plugins" / "newsletter" / "edition.py"
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat} runs")
    print(
        "Email edition step: "
        + (
            "PRESENT (plugins/newsletter/edition.py): Masthead times include editions"
            if edition.exists()
            else "ABSENT (no plugins/newsletter/edition.py): Masthead times are web archive only"
        )
    )
    print("Times: wall clock of the whole build subprocess (start-up, imports, build);")
    print("Masthead and plain Pelican runs interleaved; CPU = user + system time of the child.")
    print(f"Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="masthead-bench-") as tmp:
        for n in args.sizes:
            rows.append(bench(n, args.repeat, Path(tmp)))
            r = rows[-1]
            print(
                f"  N={r.n}: Masthead {r.masthead.wall:.2f}s ({r.masthead_files} files, "
                f"{r.masthead.info['editions']} editions, {r.masthead.info['inner']:.2f}s inside "
                f"the process), plain Pelican {r.plain.wall:.2f}s ({r.plain_files} files)",
                flush=True,
            )
        header = (
            f"\n{'N':>5} {'articles':>8} {'Masthead s':>10} {'Pelican s':>10} {'ratio':>6} "
            f"{'M ms/art':>9} {'P ms/art':>9} {'M CPU s':>8} {'P CPU s':>8} {'M files':>8} "
            f"{'P files':>8}"
        )
        print(header)
        print("-" * (len(header) - 1))
        for r in rows:
            print(
                f"{r.n:>5} {r.articles:>8} {r.masthead.wall:>10.2f} {r.plain.wall:>10.2f} "
                f"{r.ratio:>6.2f} {1000 * r.masthead.wall / r.articles:>9.2f} "
                f"{1000 * r.plain.wall / r.articles:>9.2f} {r.masthead_cpu:>8.2f} "
                f"{r.plain_cpu:>8.2f} {r.masthead_files:>8} {r.plain_files:>8}"
            )
        print(
            "\nPagefind search indexing, inside the Masthead time (plain Pelican has no search): "
            + ", ".join(
                f"N={r.n} {r.masthead.info['search']:.2f}s (Masthead without it "
                f"{r.masthead.wall - r.masthead.info['search']:.2f}s, ratio "
                f"{(r.masthead.wall - r.masthead.info['search']) / r.plain.wall:.2f})"
                for r in rows
            )
        )
        print(
            "\nMedian ratio of back-to-back pairs (robust to a busy machine): "
            + ", ".join(f"N={r.n} {r.paired:.2f}" for r in rows)
        )
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            m_growth, p_growth = b.masthead.wall / a.masthead.wall, b.plain.wall / a.plain.wall
            print(
                f"\nGrowth {a.n} -> {b.n} issues (linear = {b.n / a.n:.1f}): "
                f"Masthead x{m_growth:.2f}, plain Pelican x{p_growth:.2f} (CPU time: Masthead "
                f"x{b.masthead_cpu / a.masthead_cpu:.2f}, plain Pelican "
                f"x{b.plain_cpu / a.plain_cpu:.2f})"
            )
            extra = b.articles - a.articles
            m_slope = (b.masthead.wall - a.masthead.wall) / extra
            p_slope = (b.plain.wall - a.plain.wall) / extra
            print(
                f"Marginal cost per added article: Masthead {1000 * m_slope:.2f} ms, "
                f"plain Pelican {1000 * p_slope:.2f} ms; fixed cost (intercept): Masthead "
                f"{a.masthead.wall - m_slope * a.articles:.2f}s, plain Pelican "
                f"{a.plain.wall - p_slope * a.articles:.2f}s"
            )
        if args.profile:
            profile(args.profile, Path(tmp), args.top)


if __name__ == "__main__":
    main()
