"""Every page of the archive is valid HTML by the Nu Html Checker (vnu.jar, the W3C
validator), installed from npm into tests/vnu/ (`.ci/run` does it; it needs Java)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

VNU = ROOT / "tests/vnu/node_modules/vnu-jar/build/dist/vnu.jar"


def checker() -> list[str]:
    java = shutil.which("java")
    if java and VNU.is_file():
        return [java, "-jar", str(VNU)]
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no java or tests/vnu/node_modules: .ci/run installs both")
    pytest.skip(
        "HTML checker missing: apt-get install default-jre-headless; "
        "npm install --prefix tests/vnu --ignore-scripts"
    )


def errors(pages: list[Path]) -> list[str]:
    command = [*checker(), "--errors-only", "--format", "json", *map(str, pages)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m['message']}" for m in messages]


def test_every_archive_page_is_valid_html(sample_site: Path):
    pages = [p for p in sample_site.rglob("*.html") if "editions" not in p.parts]
    assert len(pages) > 50
    assert errors(pages) == []


def test_draft_and_event_pages_are_valid_html(tree, tmp_path):
    draft = {"issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\nSoon.\n"}
    tree(draft, drafts=True)
    site = tmp_path / "output"
    pages = [site / "issues/3/index.html", site / "issues/2/workshop/index.html"]
    assert errors(pages) == []


def test_the_checker_finds_an_error():
    """The check above can fail: a page with a known error is reported."""
    broken = ROOT / "tests/vnu/broken-sample.html"
    assert errors([broken]) != []
