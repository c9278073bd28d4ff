"""The identity of a model input: a sha256 over every file the load reads or reports on.

Every model file counts with its raw bytes — also one that is too large, binary or not UTF-8
and so is not read — and every skipped symbolic link counts with its target's text. Two inputs
therefore share a hash only when a load of either gives the same model and the same problems.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

FILE, LINK, UNREADABLE = "file", "link", "unreadable"
CHUNK = 1024 * 1024


class ContentDigest:
    """Collects a hash per path (from any thread); `hexdigest` combines them in path order."""

    def __init__(self) -> None:
        self._entries: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def add(self, path: str, kind: str, data: bytes) -> None:
        """Count one file's bytes (FILE), a link's target (LINK), or why it was not read."""
        entry = hashlib.sha256(kind.encode() + b"\0")
        entry.update(data)
        self._put(path, entry.digest())

    def add_file(self, path: str, file: Path) -> None:
        """Count a file read from disk in chunks (one too large to be read whole)."""
        entry = hashlib.sha256(FILE.encode() + b"\0")
        with file.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                entry.update(chunk)
        self._put(path, entry.digest())

    def _put(self, path: str, digest: bytes) -> None:
        with self._lock:
            self._entries[path] = digest

    def hexdigest(self) -> str:
        """sha256 over every path (length-prefixed) and its entry's hash, in path order."""
        total = hashlib.sha256()
        for path in sorted(self._entries):
            name = path.encode("utf-8", "surrogateescape")
            total.update(len(name).to_bytes(8, "big") + name + self._entries[path])
        return total.hexdigest()
