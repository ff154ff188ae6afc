"""Hostile and odd content files, each built in isolation: counts of the outcomes.

    .venv/bin/python bench/fuzz_content.py [--cases 1200] [--timeout 20] [--seed 10] [--show 5]

Each case is the tests' small newsletter plus one hostile thing: a front-matter value (huge
or 5,000-digit numbers, NUL/ESC/U+2028, alias bombs, `!!binary`/`!!set`/custom tags, deep
YAML), a body (deep lists and quotes, runs of `[`, floods of unclosed tags, raw
`<script>`/`on*=`/`javascript:` HTML, huge bodies, random Markdown), a file-system oddity
(symlinks leaving content/ towards a planted secret, broken links, FIFOs, directories named
x.md, devices), a page saved over a generated page, bad encodings. Each case is built by a
forked child with a time limit; a secret file sits beside content/ (as the subscriber store
does) and every output is searched for it afterwards.

Printed: clean error (every problem a one-line `path:line: message`), success, unexpected
(any other exception or message), hang (over the time limit, and again over three times
the limit: a loaded machine alone does not make a hang), secrets in output.
Goal: 0 unexpected, 0 hangs, 0 secrets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from masthead import build as site  # noqa: E402
from masthead.cli_support import failure  # noqa: E402
from tests.conftest import MINIMAL, write_tree  # noqa: E402

SECRET = "FUZZ-SECRET-7d0c2a"
ARTICLE = "---\ntitle: {title}\nissue: 2\n{extra}---\n{body}\n"


@dataclass
class Case:
    kind: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (target, link in content/)
    fifos: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)


# --- the cases --------------------------------------------------------------------------------

CONTROL = ["\x00", "\x1b", "\x07", "\x7f", "\u2028", "\u2029", "\x85", "\x0b", "\r", "\x9b"]
FIELDS = ["title", "issue", "author", "authors", "section", "topics", "summary", "series"]
FIELDS += ["part", "slug", "event_date", "location", "register"]


def yaml_values(rng: random.Random) -> list[str]:
    c = rng.choice(CONTROL).encode("unicode_escape").decode()
    depth = rng.randint(50, 20_000)
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)
    ]
    return [
        "9" * rng.choice([20, 4301, 5000, 100_000]),
        "-" + "1" * rng.randint(1, 6000),
        "0x" + "f" * rng.randint(100, 5000),
        f'"a{c}b"',
        f'"{c * rng.randint(1, 50)}"',
        "x" * rng.choice([999, 1001, 50_000, 1_000_000]),
        "[" * depth + "]" * depth,
        "{a: " * 200 + "1" + "}" * 200,
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!omap [a: 1, b: 2]",
        "!!python/object:os.system ls",
        "!custom x",
        "&a [1, 2]",
        "*undefined",
        "\n".join(bomb) + "\nz: *a9",
        "null",
        "~",
        "true",
        ".inf",
        ".nan",
        "1e400",
        "2025-13-45",
        "'2025-02-30 25:61'",
        "[[1, 2], {a: b}]",
        "{title: x}",
        "'" + "a@" * rng.randint(100, 5000) + "'",
        "'" + "a" * rng.randint(1000, 5000) + "@example.org'",
        "https://" + "a." * 400 + "org",
        "javascript:alert(1)",
        '"' + "\\u202e" + 'evil"',
        "'" + "é" * rng.randint(1, 2000) + "'",
        ">\n  folded\n  text",
        "|\n  literal\n  text",
    ]


def front_matter_case(rng: random.Random) -> Case:
    key = rng.choice([*FIELDS, "unknown", "k" * 1000, "1", "null", "'a\\x1bb'", "<<"])
    value = rng.choice(yaml_values(rng))
    text = f"---\ntitle: Fuzz\nissue: 2\n{key}: {value}\n---\nBody.\n"
    if key in ("title", "issue"):
        text = f"---\n{key}: {value}\n{'issue: 2' if key == 'title' else 'title: Fuzz'}\n---\nx\n"
    target = rng.choice(["articles/fuzz.md", "issues/003.md", "series/fuzz.md"])
    if target == "issues/003.md":
        text = text.replace("title: Fuzz", "number: 3").replace("issue: 2", "date: 2025-01-21")
    return Case("front matter", {target: text})


def body_case(rng: random.Random) -> Case:
    n = rng.randint(10, 5000)
    bodies = [
        "\n".join("    " * i + "- item" for i in range(rng.randint(15, 400))),
        "\n".join("   " * i + "1. item" for i in range(rng.randint(15, 400))),
        ">" * rng.randint(15, 5000) + " deep",
        "\n".join(">" * i + " q" for i in range(rng.randint(15, 300))),
        "[" * n,
        "![" * n,
        "[x" * n,
        "<a " * n,
        "<a b='>' " * n,
        "<x" * n,
        "<!--" * n,
        "</" * n,
        "< " * n,
        "&#" * n,
        "*_" * n + "x" + "_*" * n,
        "`" * n,
        "\n".join(f"*[A{i}]: abbreviation" for i in range(n)) + "\n\nA1 A2",
        "".join(f"x[^{i}]" for i in range(n)) + "\n\n" + "\n".join(f"[^{i}]: n" for i in range(n)),
        "|a" * n + "\n" + "|-" * n + "\n" + "|b" * n,
        '<div markdown="1">\n' * rng.randint(20, 600) + "x\n",
        "word " * rng.choice([100_000, 130_000]),
        "```\n" + "x\n" * n,
        "\x00\x1b[31m red \u2028 \u2029 \x85",
        rng.choice(XSS),
        "\n\n".join(rng.choices(XSS, k=rng.randint(2, 12))),
        random_markdown(rng),
        random_markdown(rng),
    ]
    body = rng.choice(bodies)
    where = rng.choice(["articles/fuzz.md", "issues/003.md", "series/fuzz.md"])
    if where == "articles/fuzz.md":
        text = ARTICLE.format(title="Fuzz", extra="", body=body)
    elif where == "issues/003.md":
        text = f"---\nnumber: 3\ndate: 2025-01-21\n---\n{body}\n"
    else:
        text = f"---\ntitle: Fuzz series\n---\n{body}\n"
    return Case("body", {where: text})


XSS = [
    "<script>alert(1)</script>",
    '<img src="https://example.org/x.png" alt="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="q"><button>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>*{display:none}</style>",
    '<a href="https://example.org" onclick="alert(1)">ok</a>',
    "Heading {: onclick=alert(1) }\n=======",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<div markdown="1"><script>alert(1)</script></div>',
    "<!--><script>alert(1)</script>-->",
    "<textarea><script>alert(1)</script></textarea>",
]
TOKENS = ["*", "_", "`", "[", "]", "(", ")", "!", "<", ">", "#", "-", "+", "1.", "|", ":"]
TOKENS += ["\n", "\n\n", "    ", "\t", "&", ";", "{", "}", "^", "~", "=", "\\", "'", '"', "a"]
TOKENS += ["word", "http://x.org", "{filename}x.md", "{static}/images/a.png", "<div>", "</p>"]


def random_markdown(rng: random.Random) -> str:
    return "".join(rng.choices(TOKENS, k=rng.randint(10, 3000)))


def filesystem_case(rng: random.Random) -> Case:
    secret = "../../subscribers.db"
    choices = [
        Case("fs: image symlink to the secret", links=[(secret, "images/x.png")]),
        Case("fs: deep image symlink", links=[("../" * 3 + "subscribers.db", "images/a/b.png")]),
        Case("fs: article symlink out", links=[("../../outside.md", "articles/out.md")]),
        Case("fs: page symlink out", links=[("../../outside-page.md", "pages/out.md")]),
        Case("fs: symlinked image folder", links=[("../..", "images/up")]),
        Case("fs: symlinked articles folder", links=[("..", "articles/loop")]),
        Case("fs: absolute symlink", links=[("/etc/passwd", "images/passwd.png")]),
        Case("fs: device", links=[("/dev/zero", "articles/zero.md")]),
        Case("fs: device image", links=[("/dev/urandom", "images/random.png")]),
        Case("fs: dangling", links=[("/nonexistent/x", "articles/dangling.md")]),
        Case("fs: dangling image", links=[("nowhere.png", "images/dangling.png")]),
        Case("fs: dangling page", links=[("nowhere.md", "pages/dangling.md")]),
        Case("fs: fifo article", fifos=["articles/pipe.md"]),
        Case("fs: fifo issue", fifos=["issues/009.md"]),
        Case("fs: fifo image", fifos=["images/pipe.png"]),
        Case("fs: fifo page", fifos=["pages/pipe.md"]),
        Case("fs: directory x.md", dirs=["articles/dir.md"]),
        Case("fs: directory series", dirs=["series/dir.md"]),
        Case("fs: emacs lock", links=[("user@host.123", "articles/.#one.md")]),
        Case("fs: link inside content", links=[("one.md", "articles/one-again.md")]),
        Case("fs: self loop", links=[("loop.md", "articles/loop.md")]),
    ]
    return rng.choice(choices)


def page_case(rng: random.Random) -> Case:
    save_as = rng.choice(
        [
            "index.html",
            "issues/1/index.html",
            "editions/2/email.html",
            "feeds/all.atom.xml",
            "../../escape.html",
            "/etc/x.html",
            "about/index.html",
            "topics/index.html",
            "x" * 300 + ".html",
        ]
    )
    slug = rng.choice(["evil", "../../up", "about", "a/b", "x" * 300])
    text = f"Title: Evil\nSlug: {slug}\nSave_as: {save_as}\n\nEvil.\n"
    if rng.random() < 0.3:
        text = f"Title: Evil\nSlug: {slug}\n\n<script>alert(1)</script>\n"
    return Case("page", {"pages/evil.md": text})


def encoding_case(rng: random.Random) -> Case:
    datas: list[str | bytes] = [
        b"---\ntitle: Caf\xe9\nissue: 2\n---\n",
        b"\xef\xbb\xbf---\ntitle: BOM\nissue: 2\n---\nx\n",
        b"---\r\ntitle: CRLF\r\nissue: 2\r\n---\r\nx\r\n",
        b"---\ntitle: X\nissue: 2\n",
        b"no front matter",
        b"",
        b"---\n---\n",
        b"---\n- a\n- b\n---\n",
        b"---\n: :\n---\n",
        b"---\n\t\ttitle: x\n---\n",
        bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))),
        b"---\ntitle: X\nissue: 2\n---\n" + bytes(rng.randrange(256) for _ in range(500)),
        "---\ntitle: \u202eevil\nissue: 2\n---\n\U0001f600" * 1,
        b"\x00" * 5000,
        b"---\ntitle: X\nissue: 2\n---\n" + b"x" * 2_100_000,
    ]
    return Case(
        "encoding", {f"articles/{rng.choice(['fuzz', 'Fuzz Notes', 'a'])}.md": rng.choice(datas)}
    )


KINDS = [front_matter_case, body_case, filesystem_case, page_case, encoding_case]
WEIGHTS = [35, 35, 10, 8, 12]


def generate(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    return [rng.choices(KINDS, WEIGHTS)[0](rng) for _ in range(count)]


# --- running one case -------------------------------------------------------------------------


def prepare(case: Case, root: Path) -> Path:
    (root / "subscribers.db").write_text(SECRET)
    (root / "outside.md").write_text(f"---\ntitle: Outside\nissue: 2\n---\n{SECRET}\n")
    (root / "outside-page.md").write_text(f"Title: Outside\nSlug: outside\n\n{SECRET}\n")
    content = write_tree(
        root, {**MINIMAL, **{k: v for k, v in case.files.items() if isinstance(v, str)}}
    )
    for name, data in case.files.items():
        if isinstance(data, bytes):
            (content / name).write_bytes(data)
    for target, link in case.links:
        (content / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, content / link)
    for name in case.fifos:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(content / name)
    for name in case.dirs:
        (content / name).mkdir(parents=True)
    return content


def one_line(text: str) -> bool:
    path, colon, rest = text.partition(":")
    line, colon2, message = rest.partition(":")
    return bool(
        path and colon and colon2 and line.isdigit() and message.strip() and text.isprintable()
    )


def outcome(case: Case, root: Path) -> dict:
    """In the child: build and classify."""
    content = prepare(case, root)
    try:
        site.build(ROOT / "pelicanconf.py", root / "output", content=content)
        return {"result": "success"}
    except site.ContentError as error:
        lines = [str(p) for p in error.problems]
        bad = [line for line in lines if not one_line(line) or len(line) > 600]
        return {"result": "unexpected" if bad or not lines else "clean error", "detail": bad[:2]}
    except Exception as error:
        message = failure(error).message
        clean = "unexpected" not in message and "\n" not in message
        return {"result": "clean error" if clean else "unexpected", "detail": [message[:300]]}


def run(case: Case, timeout: float) -> tuple[dict, bool]:
    """Fork a child to build the case; (its outcome, whether the secret reached an output)."""
    root = Path(tempfile.mkdtemp(prefix="masthead-fuzz-"))
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        try:
            result = outcome(case, root)
        except BaseException as error:
            result = {"result": "unexpected", "detail": [f"{type(error).__name__}: {error}"[:300]]}
        os.write(writer, json.dumps(result).encode())
        os._exit(0)
    os.close(writer)
    ready, _, _ = select.select([reader], [], [], timeout)
    if ready:
        data = b"".join(iter(lambda: os.read(reader, 65536), b""))
        result = json.loads(data or b'{"result": "unexpected", "detail": ["child died"]}')
    else:
        os.kill(pid, signal.SIGKILL)
        result = {"result": "hang", "detail": []}
    os.close(reader)
    os.waitpid(pid, 0)
    leaked = secret_in_output(root)
    shutil.rmtree(root, ignore_errors=True)
    return result, leaked


def secret_in_output(root: Path) -> bool:
    """The secret in any file the build wrote (output/ and any unfinished build directory)."""
    for top in root.iterdir():
        if top.name in ("content", "subscribers.db", "outside.md", "outside-page.md"):
            continue
        for folder, _dirs, files in os.walk(top):
            for name in files:
                path = Path(folder) / name
                if (
                    not path.is_symlink()
                    and path.is_file()
                    and SECRET.encode() in path.read_bytes()
                ):
                    return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--show", type=int, default=5, help="examples of each bad outcome")
    args = parser.parse_args()
    cases = generate(args.cases, args.seed)
    counts: Counter = Counter()
    by_kind: Counter = Counter()
    examples: dict[str, list[str]] = {}
    started = time.perf_counter()
    for number, case in enumerate(cases):
        result, leaked = run(case, args.timeout)
        if result["result"] == "hang":  # once more, with more time: the machine is shared
            result, leaked = run(case, args.timeout * 3)
            counts["retried"] += 1
        counts[result["result"]] += 1
        by_kind[(case.kind.split(":")[0], result["result"])] += 1
        counts["secrets in output"] += leaked
        if result["result"] in ("unexpected", "hang") or leaked:
            shown = examples.setdefault(result["result"], [])
            if len(shown) < args.show:
                shown.append(f"case {number} ({case.kind}): {result.get('detail')}")
    elapsed = time.perf_counter() - started
    print(
        f"{len(cases)} cases (seed {args.seed}) in {elapsed:.0f} s, {args.timeout:g} s limit each"
    )
    for name in ("clean error", "success", "unexpected", "hang", "secrets in output", "retried"):
        print(f"  {name:18} {counts[name]}")
    kinds = sorted({kind for kind, _ in by_kind})
    print(
        "by kind: "
        + "; ".join(
            f"{k}: " + ", ".join(f"{r} {n}" for (kk, r), n in sorted(by_kind.items()) if kk == k)
            for k in kinds
        )
    )
    for name, shown in examples.items():
        print(f"{name}:")
        for line in shown:
            print(f"  {line}")


if __name__ == "__main__":
    main()
