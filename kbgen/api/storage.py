"""Uploaded bytes on disk under data_dir/uploads, named by random keys (never by user input)."""
from __future__ import annotations

import secrets
from pathlib import Path


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
        path.write_bytes(data)
        return key

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
