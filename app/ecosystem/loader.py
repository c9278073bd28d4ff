"""Load a model: files → documents → entities → validation → problems with positions."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.ecosystem.assemble import Assembler, Placed
from app.ecosystem.builtins import builtin_documents
from app.ecosystem.envelope import read_document
from app.ecosystem.limits import ModelLimits, ModelTooLargeError
from app.ecosystem.model import Model
from app.ecosystem.model_files import ModelUnreadableError
from app.ecosystem.problems import BUILTIN_SOURCE, Problems, sort_key
from app.ecosystem.sources import ModelFiles, RawDocument, read_given, read_model
from app.ecosystem.spec.datastore import SHARED_COLUMNS
from app.ecosystem.spec.documents import DOCUMENT_TYPES, Document
from app.ecosystem.validate import validate
from app.ecosystem.validate.storable import nul_characters

__all__ = [
    "ModelLimits",
    "ModelTooLargeError",
    "ModelUnreadableError",
    "Timings",
    "collector_paused",
    "load_directory",
    "load_texts",
]
# One model is parsed and built at a time in a process (an ingest, a validation): the memory a
# load takes is bounded by the limits, and so is the memory of the process.
LOAD_SLOT = threading.Lock()
log = logging.getLogger("ecoplane.model")


def load_directory(
    root: Path, limits: ModelLimits | None = None, timings: Timings | None = None
) -> Model:
    """Load and validate the model under a directory within the limits.

    Raises ModelUnreadableError if it cannot be read, ModelTooLargeError past a limit.
    """
    problems = Problems()
    timings = timings if timings is not None else Timings()
    with LOAD_SLOT, collector_paused():
        builder = _Builder(problems, timings)
        with timings.phase("parse"):  # each file's documents are built as soon as parsed
            files = read_model(root, problems, limits, builder.add)
        timings["parse"] -= timings.get("build", 0.0)  # the parse phase less the building in it
        return builder.finish(files)


def load_texts(files: dict[str, str | bytes], limits: ModelLimits | None = None) -> Model:
    """Load and validate a model given as file contents by relative path (e.g. from an upload).

    Raises ModelUnreadableError when no model file is given, ModelTooLargeError past a limit.
    """
    problems = Problems()
    with LOAD_SLOT, collector_paused():
        try:
            read = read_given(files, problems, limits if limits is not None else ModelLimits())
        except ModelTooLargeError as error:
            log.warning("model of %d files refused: %s", len(files), error.detail)
            raise
        if not read.texts and not problems.items:
            raise ModelUnreadableError("no *.yaml or *.yml files given")
        builder = _Builder(problems, Timings())
        builder.add_all(read.documents, read.texts)
        return builder.finish(read)


class Timings(dict[str, float]):
    """Seconds spent in each phase of a load (parse, build, validate, positions)."""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a model is built.

    Building creates millions of acyclic objects; every full collection would rescan all of
    them (measured: 9 s instead of 4.6 s for a 2,000-datastore model).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Builder:
    """Builds typed documents from raw ones as files are parsed, then the model from them.

    A raw document is let go once it is built: the parsed YAML of a whole model and the model
    it becomes are never both held (peak memory ~the model's, not ~twice it).
    """

    def __init__(self, problems: Problems, timings: Timings) -> None:
        self.problems, self.timings = problems, timings
        self.placed = [
            Placed(_builtin(data), BUILTIN_SOURCE, builtin=True) for data in builtin_documents()
        ]
        self.broken: set[tuple[str, str]] = set()
        # equal columns of this load share one object (spec/datastore.py)
        self.context: dict[str, Any] = {SHARED_COLUMNS: {}}

    def add(self, relative: str, text: str, documents: list[RawDocument]) -> None:
        """Build one file's documents."""
        self.add_all(documents, {relative: text})

    def add_all(self, documents: list[RawDocument], texts: dict[str, str]) -> None:
        """Build documents of the files whose texts are given."""
        with self.timings.phase("build"):
            nul_characters(documents, texts, self.problems)
            pending = documents
            pending.reverse()
            while pending:
                raw = pending.pop()
                document = read_document(raw, self.problems, self.broken, self.context)
                if document is not None:
                    self.placed.append(Placed(document, raw.source))

    def finish(self, files: ModelFiles) -> Model:
        """The model of every document built, validated, its problems located in the files."""
        problems, timings = self.problems, self.timings
        with timings.phase("build"):
            assembler = Assembler(problems)
            model = assembler.add_all(self.placed)
            model.broken |= self.broken
            self.placed, self.context = [], {}
        with timings.phase("validate"):
            validate(model, assembler.undeclared_teams, problems)
        with timings.phase("positions"):
            if problems.items:  # PyYAML's composer, imported only to place problems (20 ms)
                from app.ecosystem.positions import resolve_positions

                resolve_positions(problems.items, files.texts)
            model.problems = sorted(problems.items, key=sort_key)
        model.content_hash = files.content_hash
        return model


def _builtin(data: dict[str, object]) -> Document:
    document: Document = DOCUMENT_TYPES[str(data["kind"])].model_validate(data)  # type: ignore[assignment]
    return document
