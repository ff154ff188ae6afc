"""Editions for series tests: issue editions that carry parts, and the parts' own editions,
written per docs/editions.md on top of delivery_fixtures' issue editions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by pytest_plugins in the tests, before this module
    from delivery_fixtures import Newsletter


def set_pace(newsletter: Newsletter, days: float) -> None:
    """NEWSLETTER["catch_up_days"] in the test newsletter's settings file."""
    text = newsletter.settings_path.read_text()
    marker = '"store": "subscribers.db",'
    newsletter.settings_path.write_text(text.replace(marker, f'{marker} "catch_up_days": {days},'))


def build_issue(
    newsletter: Newsletter, number: int, parts: list[tuple[str, int, bool]] = ()
) -> Path:
    """Issue `number` carrying `parts` (slug, part, last); each part gets its own edition,
    whose Subject names it ("anchor part 2") so a test can tell the copies apart."""
    directory = newsletter.build(number)
    meta = json.loads((directory / "edition.json").read_text())
    meta |= {"kind": "issue", "parts": [[slug, part] for slug, part, _ in parts]}
    (directory / "edition.json").write_text(json.dumps(meta))
    for slug, part, last in parts:
        target = newsletter.root / "output" / "editions" / "series" / slug / str(part)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(directory, target)
        own = {k: v for k, v in meta.items() if k != "parts"}
        own["kind"] = "series-part"
        own["series"] = {"slug": slug, "title": slug.upper(), "part": part, "of": 6}
        own["series"] |= {"complete": last, "last": last, "url": f"series/{slug}/"}
        own["headers"] = meta["headers"] | {
            "Subject": f"{slug} part {part}",
            "List-Unsubscribe": "<%%unsubscribe_url%%>",
        }
        (target / "edition.json").write_text(json.dumps(own))
    return directory


def subjects(smtp_server, address: str) -> list[str]:
    """The subjects `address` received, in order."""
    return [item.message["Subject"] for item in smtp_server.by_recipient().get(address, [])]
