"""Print the deliverability aims of issue 9 measured on the real corpus in tests/mail/bounces/.

    .venv/bin/python bench/bounce_corpus.py

Runs `inbox process` over every message twice (tests/bounce_corpus.py says how): once
delivered to its delivery's VERP address, once as it is with only its named recipient on
the list. The baseline in the same run is flufl.bounce alone (GNU Mailman's detectors):
the share of messages it finds any recipient in, and how many soft bounces it calls
permanent.
"""

from __future__ import annotations

import csv
import email
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flufl.bounce import all_failures

from tests.bounce_corpus import CORPUS, labels, measure_by_address, measure_with_verp


def flufl_baseline() -> list[str]:
    found, permanent = Counter(), Counter()
    totals = Counter(row["label"] for row in labels())
    for row in labels():
        message = email.message_from_bytes((CORPUS / row["file"]).read_bytes())
        temporary, hard = all_failures(message)
        found[row["label"]] += bool(temporary | hard)
        permanent[row["label"]] += bool(hard)
    return [
        f"flufl.bounce finds a recipient in {found['hard']} of {totals['hard']} hard bounces",
        f"flufl.bounce calls {permanent['soft']} of {totals['soft']} soft bounces permanent",
    ]


def main() -> None:
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as handle:
        print(f"corpus: {sum(1 for _ in csv.DictReader(handle))} messages in {CORPUS}")
    with tempfile.TemporaryDirectory() as scratch:
        print("\nmatched by VERP token (as sent with bounce_address):")
        print("\n".join("  " + line for line in measure_with_verp(Path(scratch)).lines()))
        print("\nmatched by the report's own addresses (no token):")
        print("\n".join("  " + line for line in measure_by_address(Path(scratch)).lines()))
    print("\nbaseline:")
    print("\n".join("  " + line for line in flufl_baseline()))


if __name__ == "__main__":
    main()
