"""Subscription service benchmark: `publish.py serve` (waitress, 4 threads) over real HTTP.

Measures one-click unsubscribes (a state change each, its own SQLite transaction), the GET
page, and whether /subscribe answers known and unknown addresses in the same time (the
email goes out from a background thread, so the answer's timing must not tell them apart).
Requests come through `--trusted-proxy 127.0.0.1` with a different X-Forwarded-For each, as
behind a reverse proxy, so the per-client rate limit does not stop the run.

    .venv/bin/python bench/service_bench.py                  # 5,000 requests, 8 clients
    .venv/bin/python bench/service_bench.py --requests 20000 --clients 16
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from delivery.store import Store, utc_now  # noqa: E402
from delivery.tokens import UNSUBSCRIBE, make_token  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"
SETTINGS = """NEWSLETTER = {
    "name": "Bench Line", "from": "Bench Line <news@bench.example.org>",
    "list_id": "bench.example.org", "service_url": "http://127.0.0.1:%d",
    "store": "subscribers.db", "public_url": "https://bench.example.org",
    "smtp": {"host": "127.0.0.1", "port": %d},
}
"""
SINK = """
import sys
from aiosmtpd.controller import Controller
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start(); print("ready", flush=True); sys.stdin.read(); controller.stop()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fill_store(path: Path, count: int) -> list[str]:
    addresses = [f"reader{i}@bench.example.org" for i in range(count)]
    now = utc_now()
    with Store(path) as store, store.transaction() as db:
        db.executemany(
            "INSERT INTO subscribers (address, status, created_at, updated_at)"
            " VALUES (?, 'active', ?, ?)",
            [(a, now, now) for a in addresses],
        )
    return addresses


class Client:
    """One keep-alive connection, as one browser or mail provider would hold."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: str = "", client: int = 0) -> tuple[int, float]:
        headers = {"X-Forwarded-For": f"10.{client >> 16 & 255}.{client >> 8 & 255}.{client & 255}"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body or None, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started


def run(port: int, jobs: list[tuple[str, str, str]], clients: int) -> tuple[float, list[float]]:
    chunks = [jobs[i::clients] for i in range(clients)]

    def work(chunk: list[tuple[str, str, str]]) -> list[float]:
        client, times = Client(port), []
        for number, (method, path, body) in enumerate(chunk):
            status, elapsed = client.call(method, path, body, client=id(chunk) + number)
            assert status == 200, (status, path)
            times.append(elapsed)
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = [t for chunk in pool.map(work, chunks) for t in chunk]
    return time.perf_counter() - started, times


def report(label: str, elapsed: float, times: list[float]) -> None:
    times.sort()
    p95 = times[int(len(times) * 0.95)]
    print(
        f"{label:<32} {len(times):>6} req  {len(times) / elapsed:>7.0f} req/s  "
        f"p50 {statistics.median(times) * 1000:5.2f} ms  p95 {p95 * 1000:5.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, port, smtp = Path(tmp), free_port(), free_port()
        (root / "settings.py").write_text(SETTINGS % (port, smtp))
        addresses = fill_store(root / "subscribers.db", args.requests)
        sink = subprocess.Popen(
            [sys.executable, "-c", SINK, str(smtp)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        sink.stdout.readline()  # type: ignore[union-attr]
        env = {**os.environ, "MASTHEAD_SECRET": SECRET}
        options = ["serve", "--port", str(port), "--trusted-proxy", "127.0.0.1"]
        serve = subprocess.Popen(
            [sys.executable, "publish.py", "--settings", str(root / "settings.py"), *options],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            measure(port, addresses, args.clients, root)
        finally:
            serve.terminate()
            serve.wait()
            sink.stdin.close()  # type: ignore[union-attr]
            sink.wait()


def measure(port: int, addresses: list[str], clients: int, root: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    tokens = [make_token(SECRET, UNSUBSCRIBE, a) for a in addresses]
    pages = [("GET", f"/unsubscribe?token={t}", "") for t in tokens]
    report("GET /unsubscribe (page)", *run(port, pages, clients))
    clicks = [("POST", f"/unsubscribe?token={t}", "List-Unsubscribe=One-Click") for t in tokens]
    report("POST /unsubscribe (one-click)", *run(port, clicks, clients))
    with Store(root / "subscribers.db") as store:
        print(f"unsubscribed after the run: {store.count('unsubscribed')} of {len(addresses)}")
        for address in addresses[:500]:
            store.set_status(address, "active")
    # Alternated, so the background work of one request slows the next equally for both.
    half = min(500, len(addresses))
    mixed = []
    for i in range(half):
        mixed.append(("POST", "/subscribe", f"address={addresses[i]}"))
        mixed.append(("POST", "/subscribe", f"address=new{i}@bench.example.org"))
    _, times = run(port, mixed, 1)
    known, unknown = statistics.median(times[0::2]), statistics.median(times[1::2])
    print(
        f"POST /subscribe, 1 client, alternating: active address p50 {known * 1000:.2f} ms; "
        f"unknown address (stored + email queued) p50 {unknown * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
