"""Model files to YAML documents: find the files, read them safely, parse them fast."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml_rs

from app.ecosystem.problems import Problems, Source

MAX_FILE_BYTES = 16 * 1024 * 1024
PARSE_THREADS = min(4, os.cpu_count() or 1)
# An alias bomb ("billion laughs") stops here instead of filling memory.
ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=200_000, max_replay_stack_depth=32)
_POSITION = re.compile(r"at line (\d+), column (\d+)")
_DOCUMENT_MARKER = re.compile(r"^---(\s|$)", re.MULTILINE)


class ModelUnreadableError(Exception):
    """The model cannot be read at all (no such directory, no YAML files)."""


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One parsed YAML document and where it came from."""

    source: Source
    data: Any


@dataclass(slots=True)
class ModelFiles:
    """The text of every model file (by path relative to the root) and its documents."""

    texts: dict[str, str]
    documents: list[RawDocument]


def find_files(root: Path, problems: Problems) -> list[Path]:
    """Every `*.yaml`/`*.yml` below root, sorted; hidden entries and symlinks are skipped."""
    if not root.is_dir():
        raise ModelUnreadableError(f"{root}: not a directory")
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=_raise_unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in [d for d in dirs if Path(folder, d).is_symlink()]:
            dirs.remove(name)  # a link could lead out of the model (git keeps links as links)
            _skipped_link(root, Path(folder, name), problems)
        for name in sorted(files):
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            path = Path(folder, name)
            if path.is_symlink():
                _skipped_link(root, path, problems)
            else:
                found.append(path)
    if not found:
        raise ModelUnreadableError(f"{root}: no *.yaml or *.yml files found")
    return found


def _skipped_link(root: Path, path: Path, problems: Problems) -> None:
    relative = path.relative_to(root).as_posix()
    message = f"{relative} is a symbolic link and was skipped"
    problems.warning("symlink-skipped", message, Source(relative), relative)


def _raise_unreadable(error: OSError) -> None:
    raise ModelUnreadableError(f"{error.filename}: {error.strerror}")


def read_model(root: Path, problems: Problems, max_file_bytes: int = MAX_FILE_BYTES) -> ModelFiles:
    """Read and parse every model file under root; file-level problems are recorded.

    Files are read and parsed on a few threads: the parser releases the GIL for part of its work.
    """

    def read_one(path: Path) -> tuple[str, str | None, list[RawDocument], Problems]:
        found = Problems()
        relative = path.relative_to(root).as_posix()
        text = read_text(path, relative, found, max_file_bytes)
        documents = parse_documents(text, relative, found) if text is not None else []
        return relative, text, documents, found

    files = ModelFiles({}, [])
    with ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        for relative, text, documents, found in pool.map(read_one, find_files(root, problems)):
            if text is not None:
                files.texts[relative] = text
            files.documents.extend(documents)
            problems.items.extend(found.items)
    return files


def read_text(path: Path, relative: str, problems: Problems, max_file_bytes: int) -> str | None:
    """The file's text, or None with a problem when it is too large, binary or not UTF-8."""
    source = Source(relative)
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            problems.error(
                "file-too-large",
                f"{relative} has {size} bytes; a model file may have "
                f"at most {max_file_bytes} bytes",
                source,
                relative,
            )
            return None
        raw = path.read_bytes()
    except OSError as error:
        problems.error("file-unreadable", f"{relative}: {error.strerror}", source, relative)
        return None
    return decode_text(raw, relative, problems)


def decode_text(raw: bytes, relative: str, problems: Problems) -> str | None:
    """UTF-8 text without a byte-order mark, or None with a problem for binary content."""
    source = Source(relative)
    if b"\x00" in raw:
        problems.error(
            "file-not-text", f"{relative} is a binary file, not YAML text", source, relative
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.error(
            "file-not-text",
            f"{relative} is not UTF-8 text (invalid byte at offset {error.start})",
            source,
            relative,
        )
        return None


def parse_documents(text: str, relative: str, problems: Problems) -> list[RawDocument]:
    """The documents of one file; a syntax error is one problem and yields no documents.

    A line starting with `---` always begins a new document in YAML, so a file is split there
    and each part parsed alone: that tells a list document from a stream of documents.
    """
    documents: list[RawDocument] = []
    index = 0
    for first_line, part in _parts(text):
        try:
            data = yaml_rs.loads(part, parse_datetime=False, alias_limits=ALIAS_LIMITS)
        except (yaml_rs.YAMLDecodeError, RecursionError, OverflowError) as error:
            _syntax_problem(str(error), relative, problems, first_line)
            return []
        starts_document = _DOCUMENT_MARKER.match(part) is not None
        if data is not None:
            documents.append(RawDocument(Source(relative, index), data))
        if data is not None or starts_document:
            index += 1
    return documents


def _parts(text: str) -> list[tuple[int, str]]:
    """The text split before every document marker, with the line each part starts on."""
    starts = [m.start() for m in _DOCUMENT_MARKER.finditer(text)]
    if not starts:
        return [(1, text)]
    bounds = [0, *(i for i in starts if i > 0), len(text)]
    return [(text.count("\n", 0, a) + 1, text[a:b]) for a, b in pairwise(bounds)]


def _syntax_problem(message: str, relative: str, problems: Problems, first_line: int) -> None:
    lines = [line for line in message.splitlines() if line.strip()]
    reason = lines[-1].strip() if lines else "invalid YAML"
    problems.error("yaml-syntax", f"YAML syntax error: {reason}", Source(relative, -1), relative)
    position = _POSITION.search(message)
    if position:
        problem = problems.items[-1]
        problem.line = int(position.group(1)) + first_line - 1
        problem.column = int(position.group(2))
