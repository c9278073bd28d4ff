"""Model files from a tar archive (an upload), read in memory and never written anywhere.

Only regular files are read, and only model files (`*.yaml`, `*.yml` outside hidden folders,
like a model directory is read). A member with an absolute path or a `..` step makes the
whole archive unsafe; so does a link or device named like a model file. Other links are
skipped. The sizes of all regular members count against a limit, checked from each header
before its content is decompressed, so a small archive cannot expand without bound.
"""

from __future__ import annotations

import io
import lzma
import tarfile
import zlib
from pathlib import PurePosixPath

MAX_MEMBERS = 100_000
MODEL_SUFFIXES = (".yaml", ".yml")


class ArchiveError(Exception):
    """The archive cannot be read, or holds a member that must not be extracted."""


class ArchiveTooLargeError(ArchiveError):
    """The archive's content is larger than allowed."""


def read_archive(data: bytes, max_total_bytes: int) -> dict[str, bytes]:
    """The model files of a tar archive (gzip, bzip2, xz or none) by relative path."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            return _model_files(archive, max_total_bytes)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
        raise ArchiveError(f"not a readable tar archive: {error}") from error


def _model_files(archive: tarfile.TarFile, max_total_bytes: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for count, member in enumerate(archive, start=1):  # headers are read one at a time
        if count > MAX_MEMBERS:
            raise ArchiveTooLargeError(f"the archive has more than {MAX_MEMBERS} members")
        path = member_path(member.name)
        if member.isdir() or path is None:
            continue
        wanted = path.endswith(MODEL_SUFFIXES) and not any(
            part.startswith(".") for part in path.split("/")
        )
        if not member.isfile():
            if wanted:
                raise ArchiveError(f"member {member.name!r} is a link or device, not a file")
            continue
        total += member.size
        if total > max_total_bytes:
            raise ArchiveTooLargeError(
                f"the archive's files add up to more than {max_total_bytes} bytes"
            )
        content = archive.extractfile(member) if wanted else None
        if content is not None:
            files[path] = content.read()
    return files


def member_path(name: str) -> str | None:
    """A member's path relative to the model root; None for the root itself.

    Raises ArchiveError for a path that is absolute or steps out with `..`.
    """
    if name.startswith("/"):
        raise ArchiveError(f"member {name!r} has an absolute path; only relative paths are read")
    parts = [part for part in PurePosixPath(name).parts if part != "."]
    if ".." in parts:
        raise ArchiveError(f"member {name!r} steps out of the archive with '..'")
    return "/".join(parts) or None
