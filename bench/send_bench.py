"""Send benchmark: one edition to 10,000 and 100,000 generated subscribers.

The editions are real: the repository's sample newsletter, built by Masthead (one edition
per connection count, so no run resumes another). An aiosmtpd sink (discarding) runs in a
separate process on 127.0.0.1; each send runs in its own child process so its peak RSS
(ru_maxrss) is its own. Prints messages/second and peak
memory per run; memory must stay flat as the list grows (the list is streamed from SQLite).

    .venv/bin/python bench/send_bench.py                 # 10,000 and 100,000; 1 and 4 connections
    .venv/bin/python bench/send_bench.py --sizes 10000   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SECRET = "bench-secret-0123456789abcdef"
SETTINGS = """NEWSLETTER = {
    "name": "Bench Line", "from": "Bench Line <news@bench.example.org>",
    "list_id": "bench.example.org", "service_url": "https://bench.example.org/service",
    "store": "subscribers.db",
    "smtp": {"host": "127.0.0.1", "port": %d, "connections": 1, "rate": 0, "error_budget": 0.5},
}
"""


def sink(port: int) -> None:
    """An SMTP server that accepts and discards everything (run in its own process)."""
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_editions(root: Path) -> None:
    """Real editions: the repository's sample newsletter built by Masthead into root/output
    (its content copied beside it, so the send's check of the sources passes)."""
    from masthead.build import build

    shutil.copytree(REPO / "content", root / "content")
    build(REPO / "pelicanconf.py", output=root / "output", content=root / "content")


def describe(directory: Path) -> str:
    """Size of an edition's HTML, its longest line, and the lines a send re-encodes."""
    lines = (directory / "email.html").read_bytes().split(b"\n")
    personal = [line for line in lines if b"%%" in line]
    return (
        f"email.html {sum(map(len, lines)) / 1024:.1f} KB in {len(lines)} lines (longest "
        f"{max(map(len, lines)) / 1024:.1f} KB); {len(personal)} lines hold placeholders, "
        f"{sum(map(len, personal)) / 1024:.1f} KB re-encoded per message"
    )


def generate(root: Path, size: int) -> None:
    from delivery.store import Store

    with Store(root / "subscribers.db") as store, store.transaction() as db:
        db.executemany(
            "INSERT INTO subscribers (address, name, status, source, created_at, updated_at)"
            " VALUES (?, '', 'active', 'bench', '2026-01-01', '2026-01-01')",
            ((f"reader{i:06}@example.org",) for i in range(size)),
        )


def run_send(root: Path, number: int, connections: int) -> None:
    """Child process: one send; prints a JSON line with its figures."""
    from delivery.send import send_edition
    from delivery.settings import load_settings
    from delivery.store import Store

    settings = load_settings(root / "pelicanconf.py")
    with Store(settings.store_path) as store:
        summary = send_edition(settings, number, store, connections=connections, rate=0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_us = (usage.ru_utime + usage.ru_stime) / max(1, summary.sent) * 1e6
    figures = {"sent": summary.sent, "failed": summary.failed, "elapsed": summary.elapsed}
    figures |= {"rate": summary.rate, "peak_mib": usage.ru_maxrss / 1024, "cpu_us": cpu_us}
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "sink", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout and server.stdout.readline().strip() == "ready"
    print(f"sink: aiosmtpd in process {server.pid} on 127.0.0.1:{port}; cpus: {os.cpu_count()}")
    try:
        for size in args.sizes:
            bench_size(size, port, args.connections)
    finally:
        server.communicate("")


def bench_size(size: int, port: int, connection_counts: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="masthead-bench-") as tmp:
        root = Path(tmp)
        (root / "pelicanconf.py").write_text(SETTINGS % port)
        started = time.monotonic()
        generate(root, size)
        build_editions(root)
        print(
            f"{size:>7} subscribers generated and the sample built in "
            f"{time.monotonic() - started:.1f} s"
        )
        for number, connections in enumerate(connection_counts, start=1):
            print(f"  edition {number}: {describe(root / 'output' / 'editions' / str(number))}")
            env = {**os.environ, "MASTHEAD_SECRET": SECRET}
            child = subprocess.run(
                [sys.executable, __file__, "send", str(root), str(number), str(connections)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{size:>7} subscribers, {connections} connection(s): {r['sent']} sent, "
                f"{r['failed']} failed in {r['elapsed']:.1f} s = {r['rate']:.0f} messages/s; "
                f"peak RSS {r['peak_mib']:.1f} MiB; sender CPU {r['cpu_us']:.0f} µs/message",
                flush=True,
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "sink":
        sink(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "send":
        run_send(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
