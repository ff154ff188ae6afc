"""The send side never imports Pelican or the plugin: it reads only edition files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_delivery_imports_neither_pelican_nor_plugins():
    code = (
        "import sys, delivery.cli, delivery.send, delivery.inbox, delivery.csvio, delivery.service;"
        "print([m for m in sys.modules if m.startswith(('pelican', 'plugins', 'newsletter'))])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
