"""Run one group of rules in a forked process beside the others: two cores check a large model.

The child has the parent's model as it is at the fork (copy-on-write: nothing is sent to it) and
sends back only its problems, pickled (none, or a few, for a model worth checking this way). The
fork is taken only in a process with one thread -- the command line, a benchmark -- never in the
service, where another thread may hold a lock the child would wait on for ever. When the child
fails, the rules run here, after a log line.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from app.ecosystem.model import Model
from app.ecosystem.problems import Problem, Problems

# Below this many sinks the fork costs more than the sink rules (~10 us a sink).
SINKS_BESIDE = 20_000
log = logging.getLogger("ecoplane.model")

Rules = Callable[[Model, Problems], None]


def sink_count(model: Model) -> int:
    """How many sinks the model's workspaces have."""
    return sum(
        len(group.sinks)
        for workspace in model.workspaces.values()
        for group in workspace.spec.dataset_groups
    )


def may_fork(model: Model, threshold: int) -> bool:
    """Whether the rules are worth a fork and this process may take one."""
    return hasattr(os, "fork") and threading.active_count() == 1 and sink_count(model) >= threshold


@contextmanager
def beside(rules: Rules, model: Model, threshold: int) -> Iterator[Problems]:
    """Problems of `rules` over the model, filled when the block ends: found by a forked child
    while the block runs, or here after it."""
    found = Problems()
    child = _start(rules, model) if may_fork(model, threshold) else None
    try:
        yield found
    except BaseException:
        if child is not None:
            _stop(child)
        raise
    items = _collect(child) if child is not None else None
    if items is None:
        rules(model, found)
    else:
        found.items.extend(items)


def _start(rules: Rules, model: Model) -> tuple[int, int] | None:
    readable, writable = os.pipe()
    try:
        pid = os.fork()
    except OSError as error:
        os.close(readable)
        os.close(writable)
        log.warning("model rules %s not forked (%s): run in this process", rules.__module__, error)
        return None
    if pid == 0:  # the child: check, send the problems, end without the parent's exit handlers
        status = 1
        try:
            os.close(readable)
            problems = Problems()
            rules(model, problems)
            with os.fdopen(writable, "wb") as out:
                pickle.dump(problems.items, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    return pid, readable


def _collect(child: tuple[int, int]) -> list[Problem] | None:
    """The child's problems, or None (logged) when it did not give them."""
    pid, readable = child
    with os.fdopen(readable, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        try:
            items: list[Problem] = pickle.loads(data)  # our own child's bytes
            return items
        except (pickle.UnpicklingError, EOFError) as error:
            log.warning("model rules of pid %d sent no problems (%s): run here", pid, error)
            return None
    log.warning("model rules of pid %d ended with %d: run in this process", pid, code)
    return None


def _stop(child: tuple[int, int]) -> None:
    pid, readable = child
    os.close(readable)
    with suppress(ProcessLookupError):
        os.kill(pid, 9)
    os.waitpid(pid, 0)
