"""Rule: text the database cannot store is a problem located at the value, not a failed store.

PostgreSQL's text cannot hold a NUL character, which YAML writes as "\\0", "\\x00", "\\u0000"
or "\\U00000000" inside double quotes. Any string of a document (a name, a description, a
label, a key) may reach the database, so every key and string value is checked.
"""

from __future__ import annotations

import re
from typing import Any

from app.ecosystem.paths import model_path
from app.ecosystem.problems import Pointer, Problems
from app.ecosystem.sources import RawDocument

NUL = "\x00"
CODE = "nul-character"
# what a file holding a NUL must contain: the character itself or one of its YAML escapes
_MAY_HOLD_NUL = re.compile(r"\x00|\\(?:0|x00|u0000|U00000000)")


def nul_characters(documents: list[RawDocument], texts: dict[str, str], problems: Problems) -> None:
    """Report every key and string value holding a NUL character, located at it."""
    clean = {file for file, text in texts.items() if not _may_hold_nul(text)}
    for raw in documents:
        if raw.source.file not in clean:  # the walk only where a NUL can be: models are large
            _walk(raw, raw.data, (), problems)


def _may_hold_nul(text: str) -> bool:
    """Whether a file's text may hold a NUL: most hold neither NUL nor backslash (a fast scan)."""
    return ("\x00" in text or "\\" in text) and _MAY_HOLD_NUL.search(text) is not None


def _walk(raw: RawDocument, node: Any, pointer: Pointer, problems: Problems) -> None:
    if isinstance(node, str):
        if NUL in node:
            _report(raw, pointer, problems, at_key=False)
    elif isinstance(node, dict):
        for key, value in node.items():
            step = key if isinstance(key, (str, int)) else str(key)
            if isinstance(key, str) and NUL in key:
                _report(raw, (*pointer, step), problems, at_key=True)
            _walk(raw, value, (*pointer, step), problems)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _walk(raw, item, (*pointer, index), problems)


def _report(raw: RawDocument, pointer: Pointer, problems: Problems, *, at_key: bool) -> None:
    path = model_path(raw.data, pointer)
    what = "key" if at_key else "value"
    problems.error(
        CODE,
        f"the {what} at {path} holds a NUL character (\\0), which the database cannot store;"
        " remove it",
        raw.source.at(*pointer),
        path,
        at_key=at_key,
    )
