"""Can a stranger tell subscribed addresses from others by how long /subscribe takes?

Against `publish.py serve` (waitress, real HTTP, one keep-alive client through
`--trusted-proxy`, SMTP to an aiosmtpd sink): 200 addresses on the list (active) and 200
unknown ones, in a shuffled order, one request every 50 ms (spaced out, so each request's
background work has finished, or not, before the next: the setting that leaked). Prints
both medians, the two-sample Kolmogorov-Smirnov statistic D with its asymptotic p-value,
and how often the best single threshold on one sample's time guesses its class right
((1 + D) / 2 for equal classes; 50% is a coin toss).

    .venv/bin/python bench/timing_bench.py                   # this checkout
    git worktree add /tmp/before 94efa49                       # before issue 10's outbox
    .venv/bin/python bench/timing_bench.py --repo /tmp/before   # the same run on that code
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from service_bench import SETTINGS, SINK, Client, fill_store, free_port  # noqa: E402

REPO = HERE.parent
SECRET = "bench-secret-0123456789abcdef"


def ks_statistic(a: list[float], b: list[float]) -> float:
    """The largest distance between the two samples' empirical distribution functions."""
    a, b = sorted(a), sorted(b)
    points = a + b
    return max(abs(bisect_right(a, x) / len(a) - bisect_right(b, x) / len(b)) for x in points)


def ks_p_value(d: float, n: int, m: int) -> float:
    """Asymptotic two-sided p-value (Kolmogorov's series, Stephens' small-sample factor)."""
    ne = n * m / (n + m)
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    total = sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return max(0.0, min(1.0, 2 * total))


def serve(repo: Path, root: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "publish.py", "--settings", str(root / "settings.py"), "serve"]
    command += ["--port", str(port), "--trusted-proxy", "127.0.0.1"]
    return subprocess.Popen(
        command,
        cwd=repo,
        env={**os.environ, "MASTHEAD_SECRET": SECRET, "PYTHONPATH": str(repo)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def measure(port: int, known: list[str], spacing: float, seed: int) -> dict[str, list[float]]:
    unknown = [f"stranger{i}@bench.example.org" for i in range(len(known))]
    plan = [("known", a) for a in known] + [("unknown", a) for a in unknown]
    random.Random(seed).shuffle(plan)
    client, times = Client(port), {"known": [], "unknown": []}
    client.call("GET", "/style.css")  # open the connection before the first timed request
    for number, (kind, address) in enumerate(plan):
        started = time.perf_counter()
        status, elapsed = client.call("POST", "/subscribe", f"address={address}", number + 1)
        assert status == 200, status
        times[kind].append(elapsed)
        time.sleep(max(0.0, spacing - (time.perf_counter() - started)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="addresses of each kind")
    parser.add_argument("--spacing", type=float, default=0.05, help="seconds between requests")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to serve from")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, port, smtp = Path(tmp), free_port(), free_port()
        (root / "settings.py").write_text(SETTINGS % (port, smtp))
        known = fill_store(root / "subscribers.db", args.count)
        sink = subprocess.Popen(
            [sys.executable, "-c", SINK, str(smtp)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        sink.stdout.readline()  # type: ignore[union-attr]
        server = serve(args.repo.resolve(), root, port)
        try:
            wait_listening(port)
            times = measure(port, known, args.spacing, args.seed)
        finally:
            server.terminate()
            server.wait()
            sink.stdin.close()  # type: ignore[union-attr]
            sink.wait()
    report(args, times)


def report(args: argparse.Namespace, times: dict[str, list[float]]) -> None:
    known, unknown = times["known"], times["unknown"]
    d = ks_statistic(known, unknown)
    print(
        f"code: {args.repo.resolve()}; {args.count} + {args.count} requests, "
        f"{args.spacing * 1000:.0f} ms apart"
    )
    for name, sample in (("known (active)", known), ("unknown", unknown)):
        ordered = sorted(sample)
        print(
            f"  {name:<15} median {statistics.median(sample) * 1000:6.3f} ms"
            f"  p10 {ordered[len(ordered) // 10] * 1000:6.3f}"
            f"  p90 {ordered[len(ordered) * 9 // 10] * 1000:6.3f}"
        )
    ratio = statistics.median(unknown) / statistics.median(known)
    print(f"  median ratio unknown/known {ratio:.3f}")
    print(
        f"  KS D = {d:.3f} (p = {ks_p_value(d, len(known), len(unknown)):.3g}); "
        f"best one-sample guess right {(1 + d) / 2 * 100:.1f}% (50% = chance)"
    )


if __name__ == "__main__":
    main()
