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
from operator import attrgetter
from pathlib import Path
from typing import Any

import yaml_rs

from app.ecosystem.content import FILE, LINK, UNREADABLE, ContentDigest
from app.ecosystem.limits import ModelLimits, NodeBudget
from app.ecosystem.parse_beside import may_parse_beside, parsed_beside
from app.ecosystem.problems import Problems, Source

PARSE_THREADS = min(4, os.cpu_count() or 1)
PARSE_AHEAD = 32  # files parsed ahead of the one consumed
MODEL_SUFFIXES = (".yaml", ".yml")
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
    """The text of every model file (by path relative to the root), its documents, its hash."""

    texts: dict[str, str]
    documents: list[RawDocument]
    content_hash: str = ""


# Takes one file's documents as they are parsed: its relative path, its text, its documents.
Consumer = Callable[[str, str, list["RawDocument"]], None]


def is_model_file(relative: str) -> bool:
    """Whether a relative path names a model file: `*.yaml`/`*.yml`, nothing hidden on the way."""
    parts = relative.split("/")
    return relative.endswith(MODEL_SUFFIXES) and not any(p.startswith(".") for p in parts)


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A model file found below the root: its posix path there, the path to open, its size."""

    relative: str
    path: str
    size: int  # -1 when it could not be asked: reported when the file is read


def find_files(
    root: Path, problems: Problems, digest: ContentDigest | None = None
) -> list[FoundFile]:
    """Every `*.yaml`/`*.yml` below root, hidden entries and symlinks skipped: a folder's files
    in name order, then its folders' in name order (as os.walk with sorted names gives them).

    One listing per folder and one lstat per file (os.scandir): pathlib's Path, symlink test
    and stat per file took 0.08 s of the 6,145 files of a large model, before parsing began.
    """
    if not root.is_dir():
        raise ModelUnreadableError(f"{root}: not a directory")
    digest = digest if digest is not None else ContentDigest()
    found: list[FoundFile] = []
    _walk(str(root), "", found, problems, digest)
    if not found:
        raise ModelUnreadableError(f"{root}: no *.yaml or *.yml files found")
    return found


def _walk(
    folder: str, prefix: str, found: list[FoundFile], problems: Problems, digest: ContentDigest
) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=_name)
    except OSError as error:
        raise ModelUnreadableError(f"{error.filename}: {error.strerror}") from None
    folders: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        (folders if _is_dir(entry) else files).append(entry)
    for entry in folders:
        if entry.is_symlink():  # a link could lead out of the model (git keeps links as links)
            _skipped_link(prefix + entry.name, entry.path, problems, digest)
    for entry in files:
        if not entry.name.endswith(MODEL_SUFFIXES):
            continue
        if entry.is_symlink():
            _skipped_link(prefix + entry.name, entry.path, problems, digest)
        else:
            found.append(FoundFile(prefix + entry.name, entry.path, _size(entry)))
    for entry in folders:
        if not entry.is_symlink():
            _walk(entry.path, f"{prefix}{entry.name}/", found, problems, digest)


_name = attrgetter("name")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """As os.walk tells a folder: a link to one counts (and is then skipped as a link)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return -1  # reported when it is read


def _skipped_link(relative: str, path: str, problems: Problems, digest: ContentDigest) -> None:
    digest.add(relative, LINK, os.fsencode(os.readlink(path)))
    message = f"{relative} is a symbolic link and was skipped"
    problems.warning("symlink-skipped", message, Source(relative), relative)


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
    readable = [f.size for f in paths if 0 <= f.size <= limits.max_file_bytes]
    limits.check_bytes(sum(readable), len(paths))
    reader = _FileReader(limits, sum(readable), len(paths))
    # Every file is read and counted in the hash here, before the parse threads start: on a
    # parse thread, each system call and each hash of over 2 KB gives up the GIL and queues
    # for it again behind the building.
    read = {file.relative: _read_file(file, limits, digest) for file in paths}

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
    if may_parse_beside(sum(readable)):  # a large model: parsed by a child while this builds
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
    readable = [len(raw) for raw in raws.values() if len(raw) <= limits.max_file_bytes]
    limits.check_bytes(sum(readable), len(names))
    digest = ContentDigest()
    reader = _FileReader(limits, sum(readable), len(names))
    files = ModelFiles({}, [])
    for name, raw in raws.items():
        digest.add(name, FILE, raw)
        if _too_large(name, len(raw), limits, problems):
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


def _read_file(
    file: FoundFile, limits: ModelLimits, digest: ContentDigest
) -> tuple[bytes | None, Problems]:
    """A model file's bytes, counted in the hash; no bytes when the file is too large or cannot
    be read, and the problem saying so."""
    relative, found = file.relative, Problems()
    if _too_large(relative, file.size, limits, found):
        digest.add_file(relative, Path(file.path))
        return None, found
    try:
        with open(file.path, "rb", buffering=0) as stream:
            raw = stream.read()
    except OSError as error:
        found.error("file-unreadable", f"{relative}: {error.strerror}", Source(relative), relative)
        digest.add(relative, UNREADABLE, os.fsencode(error.strerror or ""))
        return None, found
    digest.add(relative, FILE, raw)
    return raw, found


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


def _too_large(relative: str, size: int, limits: ModelLimits, problems: Problems) -> bool:
    """Whether the file is too large to be read (then recorded as the problem file-too-large)."""
    reason = limits.file_too_large(relative, size)
    if reason is not None:
        problems.error("file-too-large", reason, Source(relative), relative)
    return reason is not None


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
