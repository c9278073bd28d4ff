"""Run one group of rules in a forked process beside the others: two cores check a large model.

The child has the parent's model as it is at the fork (copy-on-write: nothing is sent to it) and
sends back only its problems, pickled (none, or a few, for a model worth checking this way). The
fork is taken only where `forked.may_fork` allows it (one thread: never the service); when the
child fails, the rules run here, after a log line.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from app.ecosystem import forked
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
    return forked.may_fork() and sink_count(model) >= threshold


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
            forked.end_child(child, kill=True)
        raise
    items = _collect(child) if child is not None else None
    if items is None:
        rules(model, found)
    else:
        found.items.extend(items)


def _start(rules: Rules, model: Model) -> forked.Child | None:
    def check(out: IO[bytes]) -> None:
        problems = Problems()
        rules(model, problems)
        pickle.dump(problems.items, out, protocol=pickle.HIGHEST_PROTOCOL)

    return forked.fork_child(check, f"model rules {rules.__module__}")


def _collect(child: forked.Child) -> list[Problem] | None:
    """The child's problems, or None (logged) when it did not give them."""
    data = child.stream.read()
    code = forked.end_child(child, kill=False)
    if code == 0:
        try:
            items: list[Problem] = pickle.loads(data)  # our own child's bytes
            return items
        except (pickle.UnpicklingError, EOFError) as error:
            log.warning("model rules of pid %d sent no problems (%s): run here", child.pid, error)
            return None
    log.warning("model rules of pid %d ended with %d: run in this process", child.pid, code)
    return None
