"""A child process forked to work beside this one and send its results through a pipe.

The child has this process's memory as it is at the fork (copy-on-write: nothing is sent to it)
and ends with os._exit, without the parent's exit handlers. A fork is taken only in a process
with one thread (the command line, a job's worker, a benchmark), never in the service, where
another thread may hold a lock the child would wait on for ever. Used by the model's parse
(`parse_beside.py`) and the sink rules (`validate/beside.py`), each doing the work itself when
no child can be had.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import IO

log = logging.getLogger("ecoplane.model")


def may_fork() -> bool:
    """Whether this process may take a fork: it has one thread, and the platform forks."""
    return hasattr(os, "fork") and threading.active_count() == 1


@dataclass(frozen=True, slots=True)
class Child:
    """A forked child and the read end of the pipe it writes to."""

    pid: int
    stream: IO[bytes]


def fork_child(work: Callable[[IO[bytes]], None], what: str, pipe_bytes: int = 0) -> Child | None:
    """A child running `work` on the pipe's write end: it exits 0 when `work` returns, 1 when it
    raises (logged with its traceback). None, logged, when no child can be forked.

    `pipe_bytes`: room asked for in the pipe, so that the child waits less for this process.
    """
    readable, writable = os.pipe()
    if pipe_bytes:
        with suppress(OSError):  # a smaller pipe only makes the child wait more
            fcntl.fcntl(writable, fcntl.F_SETPIPE_SZ, pipe_bytes)
    try:
        pid = os.fork()
    except OSError as error:
        os.close(readable)
        os.close(writable)
        log.warning("%s not forked (%s): done in this process", what, error)
        return None
    if pid == 0:  # the child
        status = 1
        try:
            os.close(readable)
            with os.fdopen(writable, "wb", max(pipe_bytes, 8192)) as out:
                work(out)
            status = 0
        except BaseException:
            log.exception("%s failed in forked process %d", what, os.getpid())
        finally:
            os._exit(status)
    os.close(writable)
    return Child(pid, os.fdopen(readable, "rb", max(pipe_bytes, 8192)))


def end_child(child: Child, *, kill: bool) -> int:
    """Close the pipe, kill the child when asked (it had nothing more to send, or the caller
    stopped), wait for it, and give its exit code."""
    child.stream.close()
    if kill:
        with suppress(ProcessLookupError):
            os.kill(child.pid, 9)
    _, status = os.waitpid(child.pid, 0)
    return os.waitstatus_to_exitcode(status)
