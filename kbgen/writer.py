"""The one place that writes the output folder.

Files are collected in memory, checked (no two sources may claim one path), written
into a fresh folder beside the output, and swapped in with renames, so a failed build
leaves the previous output untouched and a reader never sees half a site.

Two shortcuts keep rebuilds fast without giving that up: a page whose fingerprint is
unchanged is hard-linked from the previous output instead of rendered and written again
(``PreviousOutput`` checks that the old file is still the one we wrote), and the dev
server's private folder is updated in place, touching only files that changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputConflict


class PreviousOutput:
    """What the last build wrote to ``target``: page fingerprints, sizes and mtimes."""

    def __init__(self, target: Path, cache_dir: Path | None):
        self.target = Path(target)
        self.manifest_path = (cache_dir / "outputs" / (hashlib.blake2b(str(self.target.resolve()).encode(),
                              digest_size=8).hexdigest() + ".json")) if cache_dir else None
        self.entries: dict[str, list] = {}
        if self.manifest_path and self.manifest_path.is_file() and self.target.is_dir():
            try:
                self.entries = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def has(self, path: str, fingerprint: str) -> bool:
        entry = self.entries.get(path)
        if not entry or entry[0] != fingerprint:
            return False
        try:
            stat = (self.target / path).stat()
        except OSError:
            return False
        # Somebody editing output/ by hand must not have their edit carried forward.
        return stat.st_size == entry[1] and stat.st_mtime_ns == entry[2]

    def file(self, path: str) -> Path:
        return self.target / path

    def save(self, fingerprints: dict[str, str]) -> None:
        if not self.manifest_path:
            return
        entries = {}
        for path, fingerprint in fingerprints.items():
            try:
                stat = (self.target / path).stat()
            except OSError:
                continue
            entries[path] = [fingerprint, stat.st_size, stat.st_mtime_ns]
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.manifest_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.manifest_path)


# What kbgen serve last wrote into each folder it updates in place: path -> content key.
_in_place_state: dict[str, dict[str, str]] = {}


class Output:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.origins: dict[str, str] = {}
        self.copies: dict[str, Path] = {}
        self.reused: dict[str, Path] = {}
        self.fingerprints: dict[str, str] = {}
        self.folders: dict[str, str] = {}   # folder -> a path inside it (a file may not take its name)

    def _claim(self, path: str, origin: str) -> str:
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
        return path

    def add(self, path: str, data: bytes, origin: str, fingerprint: str | None = None) -> None:
        path = self._claim(path, origin)
        self.files[path] = data
        if fingerprint:
            self.fingerprints[path] = fingerprint

    def copy(self, path: str, source: Path, origin: str) -> None:
        self.copies[self._claim(path, origin)] = source

    def reuse(self, path: str, previous: PreviousOutput, origin: str, fingerprint: str) -> None:
        path = self._claim(path, origin)
        self.reused[path] = previous.file(path)
        self.fingerprints[path] = fingerprint

    def size(self, path: str) -> int:
        if path in self.files:
            return len(self.files[path])
        return (self.copies.get(path) or self.reused[path]).stat().st_size

    def read(self, path: str) -> bytes:
        if path in self.files:
            return self.files[path]
        return (self.copies.get(path) or self.reused[path]).read_bytes()

    def all_paths(self) -> list[str]:
        return sorted(self.origins)

    def commit(self, target: Path, *, in_place: bool = False, partial: bool = False) -> int:
        """``partial``: these files are an addition to what is there (in place only)."""
        target = Path(target)
        if in_place:
            self._update_in_place(target, partial)
        else:
            self._swap_in(target)
        return len(self.origins)

    def _swap_in(self, target: Path) -> None:
        # The whole folder is replaced: never one that a kbgen build did not make.
        if target.is_dir() and any(target.iterdir()) and not (target / "sitemap.xml").is_file():
            raise OutputConflict(f"{target} is not empty and is not a kbgen output folder (it has no sitemap.xml), "
                                 f"so it was left alone\n    → choose a new or empty folder, or remove it first")
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
                elif path in self.reused:
                    try:
                        os.link(self.reused[path], destination)
                    except OSError:
                        shutil.copy2(self.reused[path], destination)
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

    def _update_in_place(self, target: Path, partial: bool = False) -> None:
        """For a folder only kbgen writes (the dev server's): write what changed, delete what went."""
        key = str(target.resolve())
        before = _in_place_state.get(key, {}) if target.is_dir() else {}
        after: dict[str, str] = {}
        for path in sorted(self.origins):
            destination = target / path
            if path in self.fingerprints:  # equal fingerprints mean equal bytes: no need to hash
                content_key = "fingerprint:" + self.fingerprints[path]
            elif path in self.files:
                content_key = hashlib.blake2b(self.files[path], digest_size=16).hexdigest()
            else:
                stat = self.copies[path].stat()
                content_key = f"copy:{self.copies[path]}:{stat.st_mtime_ns}:{stat.st_size}"
            after[path] = content_key
            if before.get(path) == content_key and destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            if path in self.files:
                temporary = destination.with_name(f".{destination.name}.tmp")
                temporary.write_bytes(self.files[path])
                os.replace(temporary, destination)
            elif path in self.copies:
                shutil.copyfile(self.copies[path], destination)
        if partial:
            _in_place_state[key] = {**before, **after}
            return
        for stale in set(before) - set(after):
            try:
                (target / stale).unlink()
            except OSError:
                pass
        _in_place_state[key] = after


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
