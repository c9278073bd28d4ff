"""Model files to YAML documents: find the files, read them safely, parse them fast."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

import yaml_rs

from app.ecosystem.content import FILE, ContentDigest
from app.ecosystem.limits import ModelLimits, NodeBudget
from app.ecosystem.model_files import FoundFile, find_files, is_model_file, read_file, too_large
from app.ecosystem.parse_beside import may_parse_beside, parsed_beside
from app.ecosystem.problems import Problems, Source

PARSE_THREADS = min(4, os.cpu_count() or 1)
PARSE_AHEAD = 32  # files parsed ahead of the one consumed
# An alias bomb ("billion laughs") stops here instead of filling memory.
ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=200_000, max_replay_stack_depth=32)
_POSITION = re.compile(r"at line (\d+), column (\d+)")
_DOCUMENT_MARKER = re.compile(r"^---(\s|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One parsed YAML document and where it came from."""

    source: Source
    data: Any


@dataclass(slots=True)
class ModelFiles:
    """The text of every model file (by path relative to the root), its documents, its hash."""

    texts: dict[str, str]
    documents: list[RawDocument]
    content_hash: str = ""


# Takes one file's documents as they are parsed: its relative path, its text, its documents.
Consumer = Callable[[str, str, list["RawDocument"]], None]


def read_model(
    root: Path,
    problems: Problems,
    limits: ModelLimits | None = None,
    consume: Consumer | None = None,
) -> ModelFiles:
    """Read and parse every model file under root within the limits; file problems are recorded.

    Raises ModelTooLargeError past a limit. Files are read and hashed on this thread, then
    parsed on a few: the parser releases the GIL for part of its work. A file's bytes are held
    until it is parsed (within the limit on the model's bytes). Given `consume`, each file's
    documents go to it (in path order, on this thread, after their nodes are counted against
    the limit) and are not kept in the result.
    """
    limits = limits if limits is not None else ModelLimits()
    digest = ContentDigest()
    paths = find_files(root, problems, digest)
    text_bytes = sum(f.size for f in paths if 0 <= f.size <= limits.max_file_bytes)
    limits.check_bytes(text_bytes, len(paths))
    reader = _FileReader(limits, text_bytes, len(paths))
    # Every file is read and counted in the hash here, before the parse threads start: on a
    # parse thread, each system call and each hash of over 2 KB gives up the GIL and queues
    # for it again behind the building.
    read = {file.relative: read_file(file, limits, digest) for file in paths}

    def read_one(file: FoundFile) -> tuple[str, str | None, list[RawDocument], Problems]:
        relative = file.relative
        raw, found = read.pop(relative)
        if raw is None:
            return relative, None, [], found
        text, documents = reader.read(relative, raw, found)
        return relative, text, documents, found

    files = ModelFiles({}, [])

    def take(
        relative: str, text: str | None, documents: list[RawDocument], found: Problems
    ) -> None:
        problems.items.extend(found.items)
        if text is not None:
            files.texts[relative] = text
        if consume is not None:
            consume(relative, text or "", documents)
        else:
            files.documents.extend(documents)

    done = 0
    if may_parse_beside(text_bytes):  # a large model: parsed by a child while this builds
        with closing(parsed_beside(paths, read_one, reader.budget)) as parsed_files:
            for parsed in parsed_files:
                read.pop(parsed[0], None)  # this process's copy of the file's bytes
                take(*parsed)
                done += 1
    with ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        # A window of files parsed ahead, taken in path order: with `consume`, the parsed YAML
        # of only a few files is held at once, however large the model.
        remaining = iter(paths[done:])
        ahead = deque(pool.submit(read_one, path) for path in islice(remaining, PARSE_AHEAD))
        while ahead:
            take(*ahead.popleft().result())
            ahead.extend(pool.submit(read_one, path) for path in islice(remaining, 1))
    files.content_hash = digest.hexdigest()
    return files


def read_given(
    given: dict[str, str | bytes], problems: Problems, limits: ModelLimits
) -> ModelFiles:
    """Parse model files given by relative path (an upload) within the limits, like read_model."""
    names = sorted(name for name in given if is_model_file(name))
    raws = {name: file_bytes(given[name]) for name in names}
    text_bytes = sum(len(raw) for raw in raws.values() if len(raw) <= limits.max_file_bytes)
    limits.check_bytes(text_bytes, len(names))
    digest = ContentDigest()
    reader = _FileReader(limits, text_bytes, len(names))
    files = ModelFiles({}, [])
    for name, raw in raws.items():
        digest.add(name, FILE, raw)
        if too_large(name, len(raw), limits, problems):
            continue
        text, documents = reader.read(name, raw, problems)
        if text is not None:
            files.texts[name] = text
        files.documents.extend(documents)
    files.content_hash = digest.hexdigest()
    return files


def file_bytes(content: str | bytes) -> bytes:
    """The bytes of a file given as text or bytes (text as UTF-8; a lone surrogate kept as is)."""
    return content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")


class _FileReader:
    """Reads one model file's bytes: decoded, parsed, its nodes counted."""

    def __init__(self, limits: ModelLimits, text_bytes: int, files: int) -> None:
        self.budget = NodeBudget(limits, text_bytes, files)

    def read(
        self, relative: str, raw: bytes, problems: Problems
    ) -> tuple[str | None, list[RawDocument]]:
        """The file's text and documents (None and [] when it is not text)."""
        text = decode_text(raw, relative, problems)
        if text is None:
            return None, []
        if not self.budget.counts(raw):  # within the bound reserved for the whole text
            return text, parse_documents(text, relative, problems)
        self.budget.spend(None, relative)  # the file counts (many empty files add up), and no
        documents = parse_documents(text, relative, problems)  # file is parsed past the limit
        for document in documents:
            self.budget.spend(document.data, relative)
        return text, documents


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
    if "---" not in text:  # a fast scan: most files hold one document and no marker
        return [(1, text)]
    starts = [m.start() for m in _DOCUMENT_MARKER.finditer(text)]
    if not starts:
        return [(1, text)]
    bounds = [0, *(i for i in starts if i > 0), len(text)]
    parts, line = [], 1
    for a, b in pairwise(bounds):  # lines counted part by part: a file of many documents is linear
        parts.append((line, text[a:b]))
        line += text.count("\n", a, b)
    return parts


def _syntax_problem(message: str, relative: str, problems: Problems, first_line: int) -> None:
    lines = [line for line in message.splitlines() if line.strip()]
    reason = lines[-1].strip() if lines else "invalid YAML"
    problems.error("yaml-syntax", f"YAML syntax error: {reason}", Source(relative, -1), relative)
    position = _POSITION.search(message)
    if position:
        problem = problems.items[-1]
        problem.line = int(position.group(1)) + first_line - 1
        problem.column = int(position.group(2))
