"""Model files from a tar archive (an upload), read in memory and never written anywhere.

Only regular files are read, and only model files (`*.yaml`, `*.yml` outside hidden folders,
like a model directory is read). A member with an absolute path or a `..` step makes the
whole archive unsafe; so does a link or device named like a model file. Other links are
skipped. The decompressed bytes are counted as they come (a gzip bomb stops at the limit), and
each model file's size, and their sum, are checked from its header before its content is read.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath

from app.ecosystem.limits import ModelLimits
from app.ecosystem.model_files import is_model_file

MAX_MEMBERS = 100_000
# the magic bytes of the compressions a tar archive may come in
# (each stream is closed by read_archive's `with`)
_OPENERS: tuple[tuple[bytes, Callable[[io.BytesIO], io.BufferedIOBase]], ...] = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", lambda raw: bz2.BZ2File(raw, mode="rb")),
    (b"\xfd7zXZ\x00", lambda raw: lzma.LZMAFile(raw, mode="rb")),  # noqa: SIM115
)


class ArchiveError(Exception):
    """The archive cannot be read, or holds a member that must not be extracted."""


class ArchiveTooLargeError(ArchiveError):
    """The archive's content is larger than allowed."""


def read_archive(data: bytes, max_stream_bytes: int, limits: ModelLimits) -> dict[str, bytes]:
    """The model files of a tar archive (gzip, bzip2, xz or none) by relative path.

    At most max_stream_bytes are decompressed (counted as they are, so a bomb stops early);
    each model file and their sum are checked against the limits from the headers, before
    their content is read.
    """
    try:
        with _decompressed(data) as stream:
            bounded = _Bounded(stream, max_stream_bytes)
            with tarfile.open(fileobj=bounded, mode="r|") as archive:
                return _model_files(archive, limits)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
        raise ArchiveError(f"not a readable tar archive: {error}") from error


def _decompressed(data: bytes) -> io.BufferedIOBase:
    raw = io.BytesIO(data)
    for magic, opener in _OPENERS:
        if data.startswith(magic):
            return opener(raw)
    return raw


class _Bounded(io.RawIOBase):
    """A read-only stream that stops with ArchiveTooLargeError past a number of bytes."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self.inner, self.limit, self.read_bytes = inner, limit, 0

    def readable(self) -> bool:
        """Yes: it is read from."""
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to size bytes (never more than one byte past the limit, which is then refused)."""
        allowed = self.limit - self.read_bytes + 1
        chunk = self.inner.read(allowed if size < 0 else min(size, allowed))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            raise ArchiveTooLargeError(
                f"the archive decompresses to more than {self.limit} bytes"
                " (ECOPLANE_MAX_UPLOAD_BYTES)"
            )
        return chunk


def _model_files(archive: tarfile.TarFile, limits: ModelLimits) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for count, member in enumerate(archive, start=1):  # headers are read one at a time
        if count > MAX_MEMBERS:
            raise ArchiveTooLargeError(f"the archive has more than {MAX_MEMBERS} members")
        path = member_path(member.name)
        if member.isdir() or path is None or not is_model_file(path):
            continue
        if not member.isfile():
            raise ArchiveError(f"member {member.name!r} is a link or device, not a file")
        limits.check_file(path, member.size)
        total += member.size
        limits.check_bytes(total, len(files) + 1)
        content = archive.extractfile(member)
        if content is not None:
            files[path] = content.read()
    return files


def member_path(name: str) -> str | None:
    """A member's (or an uploaded file's) path relative to the model root; None for the root.

    Raises ArchiveError for a path that is absolute or steps out with `..`.
    """
    if name.startswith("/"):
        raise ArchiveError(f"{name!r} is an absolute path; only paths inside the model are read")
    parts = [part for part in PurePosixPath(name).parts if part != "."]
    if ".." in parts:
        raise ArchiveError(f"{name!r} steps out of the model with '..'")
    return "/".join(parts) or None
