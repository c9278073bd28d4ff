"""What every command shares: exit statuses and printing that survives a closed pipe."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable
from contextlib import suppress
from typing import Any, NoReturn, TypeAlias

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Ending:
    """How the process ends once its command returns.

    A model of 2,000 datastores is ~2 million objects; freeing them one by one only to exit
    takes 0.13 s. A command run as the `ecoplane` process keeps its model to the end, and the
    process then ends without freeing it (its output flushed, its log handlers closed). Called
    in-process (`main()`, as the tests do), nothing is kept: the model is freed as usual.
    """

    def __init__(self) -> None:
        self.whole_process = False  # set by the `ecoplane` entry point only
        self.kept: list[object] = []

    def keep(self, value: object) -> None:
        """Keep a value until the process ends, when this process is the command."""
        if self.whole_process:
            self.kept.append(value)

    def exit(self, status: int) -> NoReturn:
        """End the process with status: at once when something was kept, else as usual."""
        if not self.kept:
            sys.exit(status)
        for stream in (sys.stdout, sys.stderr):
            with suppress(BrokenPipeError, ValueError):  # the reader has gone: nothing to say
                stream.flush()
        logging.shutdown()
        os._exit(status)


ENDING = Ending()


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
