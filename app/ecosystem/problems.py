"""Validation problems: what is wrong, how bad, and where in the model files."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Pointer = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a node comes from: a file, the document's index in it, the keys down to the node."""

    file: str
    document: int = 0
    pointer: Pointer = ()

    def at(self, *steps: str | int) -> Source:
        """The source of a node below this one."""
        return Source(self.file, self.document, self.pointer + steps)


BUILTIN_SOURCE = Source("<builtin>")


@dataclass(slots=True)
class Problem:
    """One finding of validation; line and column are filled in by the position resolver."""

    severity: Severity
    code: str
    message: str
    file: str
    path: str
    line: int = 0
    column: int = 0
    source: Source | None = field(default=None, repr=False, compare=False)
    at_key: bool = field(default=False, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a problem."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
        }

    def as_line(self) -> str:
        """The `file:line:column: severity code: message` shape of a problem."""
        return f"{self.file}:{self.line}:{self.column}: {self.severity.value} {self.code}: {self.message}"


class Problems:
    """A growing list of problems, with helpers that keep the call sites short."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(
        self, code: str, message: str, source: Source, path: str, *, at_key: bool = False
    ) -> None:
        """Record an error."""
        self.add(Severity.ERROR, code, message, source, path, at_key=at_key)

    def warning(
        self, code: str, message: str, source: Source, path: str, *, at_key: bool = False
    ) -> None:
        """Record a warning."""
        self.add(Severity.WARNING, code, message, source, path, at_key=at_key)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        source: Source,
        path: str,
        *,
        at_key: bool = False,
    ) -> None:
        """Record a problem of the given severity."""
        message, file, path = _storable(message), _storable(source.file), _storable(path)
        self.items.append(
            Problem(severity, code, message, file, path, source=source, at_key=at_key)
        )


def _storable(text: str) -> str:
    """Text with each NUL character shown as `\\0`: a problem about one must be storable too."""
    return text.replace("\x00", "\\0") if "\x00" in text else text


def sort_key(problem: Problem) -> tuple[str, int, int, str]:
    """Order problems by file, line, column and code."""
    return (problem.file, problem.line, problem.column, problem.code)


def count(problems: list[Problem], severity: Severity) -> int:
    """How many problems have this severity."""
    return sum(1 for p in problems if p.severity is severity)
