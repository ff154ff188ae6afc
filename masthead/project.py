"""One newsletter on disk: its settings, content directory and project root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .build import load_settings
from .errors import SettingsError

from newsletter.generator import project_root  # isort: skip  (plugins/ is on sys.path now)
from newsletter.reader import RawFile, read_kind  # isort: skip


@dataclass
class Project:
    settings_file: Path
    settings: dict

    @property
    def content(self) -> Path:
        return Path(self.settings["PATH"])

    @property
    def root(self) -> Path:
        return project_root(self.settings)

    @property
    def output(self) -> Path:
        return Path(self.settings["OUTPUT_PATH"])

    @property
    def newsletter(self) -> dict:
        return self.settings.get("NEWSLETTER") or {}

    def raw(self, kind: str) -> list[RawFile]:
        """Every readable file of one kind (issues, articles, series); broken ones are the
        build's to report, so `new` still works beside a file being edited."""
        files, _problems = read_kind(self.content, kind, self.root)
        return files

    def shown(self, path: Path) -> str:
        return shown(path)

    def setting(self, key: str) -> object:
        value = self.newsletter.get(key)
        if value in (None, ""):
            raise SettingsError(f"{self.settings_file}: NEWSLETTER['{key}'] is missing: set it")
        return value


def shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def open_project(settings_file: str | Path) -> Project:
    return Project(Path(settings_file), load_settings(settings_file))
