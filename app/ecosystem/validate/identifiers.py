"""A name that will be an SQL identifier, checked where any rule meets one."""

from __future__ import annotations

from app.ecosystem.names import identifier_problem
from app.ecosystem.problems import Problems, Source


def identifier(name: str, source: Source, path: str, problems: Problems) -> None:
    """Report a name that cannot become an SQL identifier."""
    reason = identifier_problem(name)
    if reason:
        code = "reserved-name" if "reserved" in reason else "invalid-name"
        problems.error(code, reason, source, path)
