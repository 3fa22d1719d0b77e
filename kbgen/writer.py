"""The one place that writes the output folder.

Files are collected in memory, checked (no two sources may claim one path), written
into a fresh folder beside the output, and swapped in with renames, so a failed build
leaves the previous output untouched and a reader never sees half a site.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputConflict


class Output:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.origins: dict[str, str] = {}
        self.copies: dict[str, Path] = {}
        self.folders: dict[str, str] = {}   # folder -> a path inside it (a file may not take its name)

    def _claim(self, path: str, origin: str) -> None:
        path = path.lstrip("/")
        # A file and a folder of one name collide too (an alias "en/feed.xml/" against the feed).
        clash = path if path in self.origins else self.folders.get(path) or next(
            (folder for folder in _parents(path) if folder in self.origins), None)
        if clash is not None:
            raise OutputConflict(f"two sources claim output/{path}: {self.origins[clash]} and {origin}\n"
                                 f"    → rename one of them (or change its `slug:`/`url:`/`aliases:`)")
        if ".." in path.split("/"):
            raise OutputConflict(f"{origin} would write outside the output folder ({path})")
        self.origins[path] = origin
        for folder in _parents(path):
            self.folders.setdefault(folder, path)

    def add(self, path: str, data: bytes, origin: str) -> None:
        self._claim(path, origin)
        self.files[path.lstrip("/")] = data

    def copy(self, path: str, source: Path, origin: str) -> None:
        self._claim(path, origin)
        self.copies[path.lstrip("/")] = source

    def read(self, path: str) -> bytes:
        if path in self.files:
            return self.files[path]
        return self.copies[path].read_bytes()

    def all_paths(self) -> list[str]:
        return sorted(self.origins)

    def commit(self, target: Path) -> int:
        """Writes everything to ``target`` atomically (as far as the file system allows)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        try:
            made: set[str] = set()
            for path in sorted(self.origins):
                destination = staging / path
                folder = os.path.dirname(path)
                if folder not in made:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
                if path in self.files:
                    with open(destination, "wb") as handle:
                        handle.write(self.files[path])
                else:
                    shutil.copyfile(self.copies[path], destination)
            previous = target.with_name(f".{target.name}.old-{os.getpid()}")
            if target.exists():
                os.rename(target, previous)
            os.rename(staging, target)
            if previous.exists():
                shutil.rmtree(previous, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return len(self.origins)


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
