"""Uploaded bytes on disk under data_dir/uploads, named by random keys (never by user input)."""
from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

log = logging.getLogger("kbgen.api.storage")


class FileStore:
    def __init__(self, root: Path):
        self.root = root

    def path_for(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        key = secrets.token_hex(20)
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".part")
        temporary.write_bytes(data)
        temporary.replace(path)   # a crash mid-write leaves a .part file, never a truncated upload
        return key

    def sweep_orphans(self, known_keys: set[str], older_than_seconds: float = 3600) -> list[str]:
        """Delete files no database row names, once they are older than any request could be.

        Upload bytes are written before the transaction that records them commits; a crash (or
        kill -9) in between leaves a file nobody can reach. Young files are left alone: their
        request may still be about to commit."""
        if not self.root.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        removed = []
        for path in self.root.glob("*/*"):
            key = path.name.removesuffix(".part")
            if not path.is_file() or key in known_keys and not path.name.endswith(".part"):
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path.name)
            except FileNotFoundError:
                pass
        if removed:
            log.info("removed %d orphan upload file(s)", len(removed))
        return removed

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
