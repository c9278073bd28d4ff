"""Reads a Dockerfile into instructions and answers what a .dockerignore keeps out, with
Docker's rules: patterns in order, the last match wins, `!` re-includes, `**` spans
directories, and a path is out when it or a parent directory is matched."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction (`FROM`, `RUN`, ...) with its arguments, continuation lines joined."""

    keyword: str
    arguments: str
    stage: int  # index of the FROM it belongs to


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions in order, without comments."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        if (pending + line).strip():
            logical.append(pending + line)
        pending = ""
    result: list[Instruction] = []
    stage = -1
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        result.append(Instruction(keyword.upper(), arguments.strip(), stage))
    return result


def build_args(found: list[Instruction]) -> dict[str, str]:
    """Defaults of the ARGs declared before the first FROM."""
    args = {}
    for instruction in found:
        if instruction.stage >= 0:
            break
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            name, _, value = instruction.arguments.partition("=")
            args[name] = value
    return args


def _pattern(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip("/")
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.compile(regex + "$")


def ignored(dockerignore: str, path: str) -> bool:
    """Whether the build context leaves out `path` (relative, with `/`)."""
    rules = [
        (line.startswith("!"), _pattern(line.lstrip("!").strip()))
        for line in (raw.strip() for raw in dockerignore.splitlines())
        if line and not line.startswith("#")
    ]
    parts = Path(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    out = False
    for exception, pattern in rules:
        if any(pattern.match(prefix) for prefix in prefixes):
            out = not exception
    return out
