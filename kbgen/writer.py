"""The one place that writes the output folder.

Files are collected in memory, checked (no two sources may claim one path), written
into a fresh folder beside the output, and swapped in with renames, so a failed build
leaves the previous output untouched and a reader never sees half a site.

Three shortcuts keep rebuilds fast without giving that up: a page whose fingerprint is
unchanged is not rendered again (``PreviousOutput`` checks that the old file is still the
one we wrote); the folder a build is written aside into is the one the build before last
left (``.output.spare``, the previous output kept after the swap), so only what changed
since then is written into it before the two are exchanged, instead of linking every
unchanged file into a fresh folder and deleting the old one; and the dev server's private
folder is updated in place, touching only files that changed.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import sys
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

    @property
    def slots_path(self) -> Path | None:
        """Where the writer records what the output folder and its spare hold."""
        return self.manifest_path.with_suffix(".slots.json") if self.manifest_path else None

    def save(self, fingerprints: dict[str, str], stats: dict[str, tuple[int, int]] | None = None) -> None:
        """``stats``: (size, mtime_ns) of the files just written, when the writer knows them."""
        if not self.manifest_path:
            return
        entries = {}
        for path, fingerprint in fingerprints.items():
            known = stats.get(path) if stats else None
            if known is None:
                try:
                    stat = (self.target / path).stat()
                except OSError:
                    continue
                known = (stat.st_size, stat.st_mtime_ns)
            entries[path] = [fingerprint, known[0], known[1]]
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.manifest_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.manifest_path)


class Output:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.origins: dict[str, str] = {}
        self.copies: dict[str, Path] = {}
        self.reused: dict[str, Path] = {}
        self.reused_sizes: dict[str, int] = {}
        self.fingerprints: dict[str, str] = {}
        self.folders: dict[str, str] = {}   # folder -> a path inside it (a file may not take its name)
        self.stats: dict[str, tuple[int, int]] = {}   # after a swap: (size, mtime_ns) of every file written
        self.rewritten: list[str] = []   # after an in-place update: the files it wrote or deleted

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
        self.reused_sizes[path] = previous.entries[path][1]   # checked against the file by has()
        self.fingerprints[path] = fingerprint

    def size(self, path: str) -> int:
        if path in self.files:
            return len(self.files[path])
        if path in self.reused_sizes:
            return self.reused_sizes[path]
        return (self.copies.get(path) or self.reused[path]).stat().st_size

    def read(self, path: str) -> bytes:
        if path in self.files:
            return self.files[path]
        return (self.copies.get(path) or self.reused[path]).read_bytes()

    def all_paths(self) -> list[str]:
        return sorted(self.origins)

    def commit(self, target: Path, *, in_place: bool = False, partial: bool = False,
               written: dict[str, dict[str, str]] | None = None, slots: Path | None = None) -> int:
        """``partial``: these files are an addition to what is there (in place only).
        ``written`` (a ``BuildCache.written``): what the last in-place update wrote, per folder.
        ``slots``: the file recording what the output folder and its spare hold (a swap keeps
        the previous output as the spare, to write the next build into); None: no spare."""
        target = Path(target)
        if in_place:
            self._update_in_place(target, partial, {} if written is None else written)
        else:
            self._swap_in(target, slots)
        return len(self.origins)

    def _content_key(self, path: str) -> str:
        # Equal keys mean equal bytes: a fingerprint, a hash, or an unchanged source file.
        if path in self.fingerprints:
            return "fingerprint:" + self.fingerprints[path]
        if path in self.files:
            return hashlib.blake2b(self.files[path], digest_size=16).hexdigest()
        stat = self.copies[path].stat()
        return f"copy:{self.copies[path]}:{stat.st_mtime_ns}:{stat.st_size}"

    def _write(self, destination: Path, path: str, fresh: bool) -> None:
        """``fresh``: the folder is new (nothing to replace, nobody reading it)."""
        temporary = destination if fresh else destination.with_name(f".{destination.name}.kbgen-tmp")
        if path in self.files:
            with open(temporary, "wb") as handle:
                handle.write(self.files[path])
        elif path in self.reused:
            try:
                os.link(self.reused[path], temporary)
            except OSError:
                shutil.copy2(self.reused[path], temporary)
        else:
            shutil.copyfile(self.copies[path], temporary)
        if not fresh:
            os.replace(temporary, destination)

    def _swap_in(self, target: Path, slots_file: Path | None) -> None:
        # The whole folder is replaced: never one that a kbgen build did not make.
        if target.is_dir() and any(target.iterdir()) and not (target / "sitemap.xml").is_file():
            raise OutputConflict(f"{target} is not empty and is not a kbgen output folder (it has no sitemap.xml), "
                                 f"so it was left alone\n    → choose a new or empty folder, or remove it first")
        target.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(slots_file):   # two builds at once must not both write into the spare
            self._swap_in_locked(target, slots_file)

    def _swap_in_locked(self, target: Path, slots_file: Path | None) -> None:
        slots = _Slots(target, slots_file)
        keys = {path: self._content_key(path) for path in self.origins} if slots_file else {}
        if slots.spare_entries is not None:
            try:
                entries = self._update_spare(slots.spare, slots.spare_entries, keys, slots)
                slots.exchange()
                slots.save(entries, slots.output_entries)
                self.stats = {path: (entry[1], entry[2]) for path, entry in entries.items()}
                return
            except OSError:
                slots.forget()  # what the spare holds is unknown now: write a fresh folder instead
                shutil.rmtree(slots.spare, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        try:
            made: set[str] = set()
            for path in sorted(self.origins):
                destination = staging / path
                folder = os.path.dirname(path)
                if folder not in made:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
                self._write(destination, path, fresh=True)
            entries = {}
            if slots_file:
                for path in self.origins:
                    stat = os.stat(staging / path)
                    entries[path] = [keys[path], stat.st_size, stat.st_mtime_ns]
            previous = target.with_name(f".{target.name}.old-{os.getpid()}")
            if target.exists():
                os.rename(target, previous)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if previous.exists():
            if slots_file and slots.output_entries is not None:
                # the previous output becomes the spare the next build is written into
                shutil.rmtree(slots.spare, ignore_errors=True)
                os.rename(previous, slots.spare)
            else:
                shutil.rmtree(previous, ignore_errors=True)
        if slots_file:
            slots.save(entries, slots.output_entries if slots.spare.is_dir() else None)
            self.stats = {path: (entry[1], entry[2]) for path, entry in entries.items()}

    def _update_spare(self, spare: Path, before: dict[str, list], keys: dict[str, str], slots: "_Slots") -> dict:
        """Makes the spare folder hold this build, writing only files whose content differs
        from what it holds (it held the build before last): cost follows the change, not the site."""
        slots.forget()  # while it changes, a crash must leave it untrusted
        for path in sorted((p for p in before if p not in keys), reverse=True):
            stale = spare / path
            stale.unlink(missing_ok=True)
            folder = stale.parent
            while folder != spare:
                try:
                    folder.rmdir()   # only once empty: a folder no page needs any more goes too
                except OSError:
                    break
                folder = folder.parent
        entries: dict[str, list] = {}
        for path in sorted(self.origins):
            destination = spare / path
            old = before.get(path)
            if old is not None and old[0] == keys[path]:
                try:
                    stat = os.stat(destination)
                except OSError:
                    stat = None
                # a file changed by hand since it was written is never carried forward
                if stat is not None and stat.st_size == old[1] and stat.st_mtime_ns == old[2]:
                    entries[path] = old
                    continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            self._write(destination, path, fresh=False)
            stat = os.stat(destination)
            entries[path] = [keys[path], stat.st_size, stat.st_mtime_ns]
        return entries

    def _update_in_place(self, target: Path, partial: bool, written: dict[str, dict[str, str]]) -> None:
        """For a folder only kbgen writes (the dev server's): write what changed, delete what went.
        Without a record of the last update (a new process), every file there is rewritten and
        those this build does not make are deleted."""
        key = str(target.resolve())
        if not target.is_dir():
            before: dict[str, str] = {}
        elif key in written:
            before = written[key]
        else:
            before = {path.relative_to(target).as_posix(): "" for path in target.rglob("*")
                      if path.is_file() or path.is_symlink()}
        after: dict[str, str] = {}
        base = str(target)
        for path in sorted(self.origins):
            content_key = after[path] = self._content_key(path)
            # plain strings: this runs for every file of the site on each of serve's rebuilds
            if before.get(path) == content_key and os.path.exists(os.path.join(base, path)):
                continue
            destination = target / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            self.rewritten.append(path)
            if path in self.files:
                temporary = destination.with_name(f".{destination.name}.tmp")
                temporary.write_bytes(self.files[path])
                os.replace(temporary, destination)
            elif path in self.copies:
                shutil.copyfile(self.copies[path], destination)
        if partial:
            written[key] = {**before, **after}
            return
        for stale in sorted(set(before) - set(after)):
            self.rewritten.append(stale)
            try:
                (target / stale).unlink()
            except OSError:
                pass
        written[key] = after


class _Slots:
    """The output folder and its spare (``.<name>.spare`` beside it: the previous output),
    with what each holds (path -> [content key, size, mtime_ns]), recorded in ``slots_file``
    together with each folder's identity, so a folder changed by anything else (another
    build without the cache, a hand edit at its top) is never trusted."""

    def __init__(self, target: Path, slots_file: Path | None):
        self.target, self.file = target, slots_file
        self.spare = target.with_name(f".{target.name}.spare")
        self.output_entries: dict[str, list] | None = None
        self.spare_entries: dict[str, list] | None = None
        if slots_file is None:
            return
        try:
            state = json.loads(slots_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if state.get("output_id") == _identity(target):
            self.output_entries = state.get("output")
        if state.get("spare_id") == _identity(self.spare) and self.output_entries is not None:
            self.spare_entries = state.get("spare")

    def forget(self) -> None:
        if self.file is not None:
            self.file.unlink(missing_ok=True)

    def exchange(self) -> None:
        """Output and spare trade places: atomically where the system can (Linux's
        renameat2), else with three renames (the same short gap as replacing a folder)."""
        if not _rename_exchange(self.spare, self.target):
            parked = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.rename(self.target, parked)
            os.rename(self.spare, self.target)
            os.rename(parked, self.spare)

    def save(self, output: dict[str, list], spare: dict[str, list] | None) -> None:
        if self.file is None:
            return
        state = {"output": output, "output_id": _identity(self.target),
                 "spare": spare, "spare_id": _identity(self.spare) if spare is not None else None}
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.file)


@contextlib.contextmanager
def _exclusive(slots_file: Path | None):
    if slots_file is None:
        yield
        return
    slots_file.parent.mkdir(parents=True, exist_ok=True)
    with open(slots_file.with_suffix(".lock"), "a+b") as handle:
        try:
            import fcntl
        except ImportError:   # Windows: no flock; two builds of one folder at once stay unsupported there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _identity(folder: Path) -> list[int] | None:
    # A folder's inode and change time: replaced, renamed or given a new top-level entry, it differs.
    try:
        stat = os.stat(folder)
    except OSError:
        return None
    return [stat.st_dev, stat.st_ino, stat.st_ctime_ns]


def _rename_exchange(first: Path, second: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False   # a C library without renameat2 (glibc < 2.28)
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):   # EINVAL, ENOSYS, EOPNOTSUPP: this file system cannot; fall back
        return False
    raise OSError(error, os.strerror(error), str(second))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
