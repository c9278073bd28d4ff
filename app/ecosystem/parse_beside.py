"""Parse a large model's files in a forked process while this one builds them: two cores load it.

Parsing YAML into Python objects and building the model from them both hold the GIL, so parse
threads barely overlap the building (the parser lets go of the GIL for a fraction of its work).
A forked child has every file's bytes as they are at the fork (copy-on-write: nothing is sent to
it), parses the files in path order with the same node budget, and sends each file's text,
documents, problems and the budget spent so far, pickled: unpickling costs this process a third
of parsing. The fork is taken only where `forked.may_fork` allows it (one thread: never the
service). When the child fails, the files it did not send are parsed here, after a
log line; a model past the node limit is refused with the child's message, as it would be here.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, TypeVar

from app.ecosystem import forked
from app.ecosystem.limits import ModelTooLargeError, NodeBudget

# Below this many bytes of model text the fork and the pickles cost more than they save.
PARSE_BESIDE_BYTES = 4 * 1024 * 1024
# Room for many files' pickles: through the default 64 KiB each side waited on the other.
PIPE_BYTES = 1024 * 1024
log = logging.getLogger("ecoplane.model")

PARSED, REFUSED = "parsed", "refused"
F = TypeVar("F")
P = TypeVar("P")


def may_parse_beside(text_bytes: int, threshold: int = PARSE_BESIDE_BYTES) -> bool:
    """Whether the files are worth a forked parser and this process may take one."""
    return text_bytes >= threshold and forked.may_fork()


def parsed_beside(
    files: list[F], parse: Callable[[F], P], budget: NodeBudget
) -> Generator[P, None, None]:
    """Each file's `parse`, in order, made by a forked child. It ends early when the child
    fails (the caller parses the files not given); the budget is left as the child spent it."""

    def send(out: IO[bytes]) -> None:
        _send(files, parse, budget, out)

    child = forked.fork_child(send, "the model files' parse", PIPE_BYTES)
    if child is None:
        return
    try:
        yield from _received(child.stream, len(files), budget, child.pid)
    finally:  # nothing is left to send when all came, or the caller stopped
        forked.end_child(child, kill=True)


def _send(
    files: list[Any], parse: Callable[[Any], Any], budget: NodeBudget, out: IO[bytes]
) -> None:
    for file in files:
        try:
            parsed = parse(file)
        except ModelTooLargeError as error:
            pickle.dump((REFUSED, error.detail), out)
            return
        pickle.dump((PARSED, parsed, budget.used), out, pickle.HIGHEST_PROTOCOL)


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
