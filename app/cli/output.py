"""What every command shares: exit statuses and printing that survives a closed pipe."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import Any, NoReturn, TypeAlias

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def output(lines: Iterable[str]) -> None:
    """Print lines to stdout; when the reader has gone (e.g. `| head`), stop quietly."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def fail(message: str, status: int = EXIT_UNREADABLE) -> int:
    """Say what went wrong on stderr and return the exit status."""
    print(f"ecoplane: {message}", file=sys.stderr)
    return status


def note(*parts: Any) -> None:
    """A line for the person at the terminal (stderr, so stdout stays parseable)."""
    print(*parts, file=sys.stderr)


class QuietParser(argparse.ArgumentParser):
    """A parser whose errors do not echo unrecognized arguments: one may be a password
    (`ecoplane credential set ... --pass hunter2`)."""

    def error(self, message: str) -> NoReturn:
        """Exit 2 with the usage; unrecognized arguments are not shown."""
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (not shown: one may be a password)"
        super().error(message)
