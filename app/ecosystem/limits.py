"""How much model input one load may take: bytes per file, bytes in all, and parsed nodes.

Parsing costs 20-30 times the text in memory and building the model up to 250 times (measured),
so input is bounded twice: by bytes before anything is parsed, and by the YAML nodes counted
file by file as they are parsed, before that file's documents are built into the model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import AppError

MAX_FILE_BYTES = 1024 * 1024
MAX_MODEL_BYTES = 8 * 1024 * 1024
MAX_MODEL_NODES = 1_000_000
# A file or a document costs more than a node: its record, its source, its problems when it is
# wrong (200,000 one-line documents took 600 MiB counted as 3 nodes each).
ENTRY_NODES = 16


class ModelTooLargeError(AppError):
    """The model input is larger than a limit; the message names the limit and its setting."""

    status = 413
    type = "model-too-large"


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """The limits of one load (the settings ECOPLANE_MAX_FILE_BYTES, _MODEL_BYTES, _MODEL_NODES)."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_model_bytes: int = MAX_MODEL_BYTES
    max_model_nodes: int = MAX_MODEL_NODES

    def file_too_large(self, path: str, size: int) -> str | None:
        """Why a model file of this size is not read, or None when it may be."""
        if size <= self.max_file_bytes:
            return None
        return (
            f"{path} has {size} bytes; a model file may have at most {self.max_file_bytes}"
            " bytes (ECOPLANE_MAX_FILE_BYTES)"
        )

    def check_file(self, path: str, size: int) -> None:
        """Refuse a model file larger than max_file_bytes (an upload's: nothing is read)."""
        if reason := self.file_too_large(path, size):
            raise ModelTooLargeError(reason)

    def check_bytes(self, total: int, files: int) -> None:
        """Refuse input whose model files add up to more than max_model_bytes."""
        if total > self.max_model_bytes:
            raise ModelTooLargeError(
                f"the {files} model files have {total} bytes in all; at most"
                f" {self.max_model_bytes} are read (ECOPLANE_MAX_MODEL_BYTES)"
            )


# Where an alias could be: YAML writes one as `*` and its anchor's name, which starts with a
# character that is neither white space nor a flow indicator (`*/5 * * * *` holds none).
MAYBE_ANCHOR = re.compile(rb"&[^ \t\r\n,\[\]{}]")


def most_nodes(text_bytes: int, files: int) -> int:
    """The most nodes `NodeBudget` can count in YAML text of this size without an alias (`*`).

    `count_nodes` counts each mapping, list, key, and scalar value or item: each takes a byte
    of its own text (a null value takes none, but its key takes the key and `:`), so a
    document has at most its bytes plus one; doubled here for a margin. Each document after a
    file's first takes a `---` line, and each file and document costs ENTRY_NODES.
    """
    documents = files + text_bytes // 3
    return ENTRY_NODES * (files + documents) + 2 * text_bytes + documents


class NodeBudget:
    """Counts the YAML nodes of a load as files are parsed; refuses past max_model_nodes.

    When even `most_nodes` of the whole text is within the limit, the text without an alias
    needs no counting (`counts`): its bound is reserved up front, and only the files that may
    hold an alias are counted against the rest (counting is a third of the parse's time).
    """

    def __init__(self, limits: ModelLimits, text_bytes: int = 0, files: int = 0) -> None:
        self.limit = limits.max_model_nodes
        bound = most_nodes(text_bytes, files) if files else self.limit + 1
        self.bounded = bound <= self.limit
        self.used = bound if self.bounded else 0
        self._lock = threading.Lock()  # files are parsed on a few threads

    def counts(self, raw: bytes) -> bool:
        """Whether a file's nodes are counted: unless its text is bounded and has no alias."""
        return not self.bounded or MAYBE_ANCHOR.search(raw) is not None

    def spend(self, data: Any, where: str) -> None:
        """Count one parsed document (or a file, for None) from where; raise once spent."""
        counted = ENTRY_NODES + count_nodes(data, self.limit + 1)
        with self._lock:
            self.used += counted
            used = self.used
        if used > self.limit:
            raise ModelTooLargeError(
                f"the model has more than {self.limit} YAML nodes (mappings, lists, keys and"
                f" values; the limit was passed in {where}) (ECOPLANE_MAX_MODEL_NODES)"
            )


def count_nodes(data: Any, stop_after: int) -> int:
    """The nodes of a parsed YAML value (each key, value, list item counts), at most stop_after.

    Only mappings and lists are walked: a mapping's keys are scalars (YAML gives no hashable
    mapping or list) and a scalar is counted where it is met (~20 % less time than a node each).
    """
    count, pending = 0, [data]
    while pending and count < stop_after:
        value = pending.pop()
        count += 1
        if isinstance(value, dict):
            count += len(value)
            items: Any = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue
        for item in items:
            if isinstance(item, (dict, list)):
                pending.append(item)
            else:
                count += 1
    return min(count, stop_after)


class _LimitSettings(Protocol):
    max_file_bytes: int
    max_model_bytes: int
    max_model_nodes: int


def limits_of(settings: _LimitSettings) -> ModelLimits:
    """The limits the settings configure."""
    return ModelLimits(settings.max_file_bytes, settings.max_model_bytes, settings.max_model_nodes)
