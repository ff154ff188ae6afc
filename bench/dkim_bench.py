"""What DKIM signing costs a send: milliseconds per message, signed against unsigned.

    .venv/bin/python bench/dkim_bench.py [MESSAGES]

Signs a 30 KB message (the size of an edition with its HTML part) MESSAGES times (default
50) with a fresh 2048-bit key through delivery.signing, and compares it with the baseline
of copying the same bytes (what an unsigned send does with them).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery.settings import DkimSettings
from delivery.signing import Signer, keygen

MESSAGE = (
    b"From: News <news@example.org>\r\nTo: ada@example.org\r\nSubject: Issue 14\r\n"
    b"Message-ID: <14-1-abc@example.org>\r\nList-Id: <example.org>\r\n\r\n"
) + b"A line of the edition, as it goes out in quoted-printable.\r\n" * 500


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as scratch:
        key = Path(scratch) / "k.pem"
        keygen(key, "example.org", "news")
        signer = Signer.from_settings(DkimSettings("example.org", "news", key))
        started = time.perf_counter()
        for _ in range(count):
            signer.sign(MESSAGE)
        signed = (time.perf_counter() - started) / count
        started = time.perf_counter()
        for _ in range(count):
            bytes(bytearray(MESSAGE))
        copied = (time.perf_counter() - started) / count
    print(f"{len(MESSAGE)} bytes, {count} messages")
    print(f"signed   {signed * 1000:8.2f} ms/message  ({1 / signed:6.0f} messages/s on one core)")
    print(
        f"baseline {copied * 1000:8.3f} ms/message  (copying the bytes); "
        f"ratio {signed / copied:.0f}x"
    )


if __name__ == "__main__":
    main()
