"""Parse a large model's files in a forked process while this one builds them: two cores load it.

Parsing YAML into Python objects and building the model from them both hold the GIL, so parse
threads barely overlap the building (the parser lets go of the GIL for a fraction of its work).
A forked child has every file's bytes as they are at the fork (copy-on-write: nothing is sent to
it), parses the files in path order with the same node budget, and sends each file's text,
documents, problems and the budget spent so far, pickled: unpickling costs this process a third
of parsing. The fork is taken only in a process with one thread (the command line, a job's
worker, a benchmark), never in the service, where another thread may hold a lock the child
would wait on for ever. When the child fails, the files it did not send are parsed here, after a
log line; a model past the node limit is refused with the child's message, as it would be here.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from typing import IO, Any, TypeVar

from app.ecosystem.limits import ModelTooLargeError, NodeBudget

# Below this many bytes of model text the fork and the pickles cost more than they save.
PARSE_BESIDE_BYTES = 4 * 1024 * 1024
PIPE_BUFFER = 1024 * 1024
log = logging.getLogger("ecoplane.model")

PARSED, REFUSED = "parsed", "refused"
F = TypeVar("F")
P = TypeVar("P")


def may_parse_beside(text_bytes: int, threshold: int = PARSE_BESIDE_BYTES) -> bool:
    """Whether the files are worth a forked parser and this process may take one."""
    return hasattr(os, "fork") and threading.active_count() == 1 and text_bytes >= threshold


def parsed_beside(
    files: list[F], parse: Callable[[F], P], budget: NodeBudget
) -> Generator[P, None, None]:
    """Each file's `parse`, in order, made by a forked child. It ends early when the child
    fails (the caller parses the files not given); the budget is left as the child spent it."""
    readable, writable = os.pipe()
    with suppress(OSError):  # room for many files' pickles: the child waits less for this one
        fcntl.fcntl(writable, fcntl.F_SETPIPE_SZ, PIPE_BUFFER)
    try:
        pid = os.fork()
    except OSError as error:
        os.close(readable)
        os.close(writable)
        log.warning("model files not parsed in a forked process (%s): parsed here", error)
        return
    if pid == 0:  # the child: parse, send, end without the parent's exit handlers
        os.close(readable)
        os._exit(_send(files, parse, budget, os.fdopen(writable, "wb", PIPE_BUFFER)))
    os.close(writable)
    with os.fdopen(readable, "rb", PIPE_BUFFER) as stream:
        try:
            yield from _received(stream, len(files), budget, pid)
        finally:
            with suppress(ProcessLookupError):
                os.kill(pid, 9)  # nothing left to send when all came, or the caller stopped
            os.waitpid(pid, 0)


def _send(files: list[Any], parse: Callable[[Any], Any], budget: NodeBudget, out: IO[bytes]) -> int:
    status = 1
    try:
        with out:
            for file in files:
                try:
                    parsed = parse(file)
                except ModelTooLargeError as error:
                    pickle.dump((REFUSED, error.detail), out)
                    break
                pickle.dump((PARSED, parsed, budget.used), out, pickle.HIGHEST_PROTOCOL)
        status = 0
    except BaseException:  # the parent reads an early end and parses the rest itself
        log.exception("the forked model parser failed")
    return status


def _received(stream: IO[bytes], count: int, budget: NodeBudget, pid: int) -> Iterator[Any]:
    for given in range(count):
        try:
            message = pickle.load(stream)  # our own child's bytes
        except (EOFError, pickle.UnpicklingError) as error:
            log.warning(
                "the model parser of pid %d ended after %d of %d files (%s): the rest parsed here",
                pid, given, count, type(error).__name__,
            )  # fmt: skip
            return
        if message[0] == REFUSED:
            raise ModelTooLargeError(message[1])
        _, parsed, budget.used = message
        yield parsed
