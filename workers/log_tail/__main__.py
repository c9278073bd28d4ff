"""`python -m workers.log_tail LINES [--mask NAME,...] -- COMMAND ...`: a Job's log tail, kept.

The Kubernetes runner starts every worker of the jobs image through this keeper. It runs COMMAND
as its child and passes each line the child prints (stdout and stderr together) on to its own
stdout, the container's log, with the values of the named secret variables (and a URL's
password in them) replaced by `***`, but for where and as whom a run connects (`PGHOST`,
`PGPORT`, `PGDATABASE`, `PGUSER`), as the local runner masks them (app/jobs/log_tail.py).
When the child has ended it writes the last LINES lines, under a header line, to the
container's termination message (`--message`, by default `/dev/termination-log`), where the
runner finds them in the pod's status (app/jobs/log_tail.py); lines that do not fit a
termination message are not written, and the runner reads the log instead.

SIGTERM, SIGINT and SIGHUP (Kubernetes ending the pod) are passed on to the child. The exit
status is the child's: 128 + the signal's number when a signal ended it, 127 when COMMAND cannot
be started, 2 for a command line this keeper does not understand.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from types import FrameType
from typing import IO

from app.jobs.log_tail import (
    MESSAGE_BYTES,
    hidden_values,
    redacted,
    redaction,
    termination_message,
)

CHUNK = 65536  # a line longer than this is passed on in pieces (masked across the cuts)
DRAIN_SECONDS = 5.0  # after the child ends, how long a grandchild may keep the output open
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Tail:
    """Copies the child's output to stdout, masked, and keeps its last lines."""

    def __init__(self, source: IO[bytes], lines: int, hidden: tuple[str, ...]) -> None:
        self.source = source
        self.lines: deque[str] = deque(maxlen=lines)
        self.hidden = hidden
        self.lock = threading.Lock()  # a grandchild may still print while the lines are taken
        self.thread = threading.Thread(target=self._copy, name="log-tail", daemon=True)

    def _copy(self) -> None:
        keep = max(map(len, self.hidden), default=1) - 1
        carry, out = "", sys.stdout.buffer
        for raw in iter(lambda: self.source.readline(CHUNK), b""):
            text = redacted(carry + raw.decode("utf-8", "surrogateescape"), self.hidden)
            carry = ""
            if keep and not text.endswith("\n"):  # a piece of a long line: a value may go on
                text, carry = text[:-keep], text[-keep:]  # in the next piece, so its end waits
            out = self._pass_on(text, out)
        self._pass_on(carry, out)

    def _pass_on(self, text: str, out: IO[bytes] | None) -> IO[bytes] | None:
        """Write masked text to the log and keep it; the log, or None once it has gone."""
        if not text:
            return out
        if out is not None:
            try:
                out.write(text.encode("utf-8", "surrogateescape"))
                out.flush()
            except OSError:  # no log to pass on to: the child is still drained, never blocked
                out = None
        with self.lock:
            kept = text.rstrip("\r\n")[: MESSAGE_BYTES + 1]  # longer never fits: memory bounded
            self.lines.append(kept.encode("utf-8", "replace").decode())
        return out

    def last(self) -> list[str]:
        """The last lines kept so far."""
        with self.lock:
            return list(self.lines)


def _arguments(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The keeper's options, and the COMMAND after `--`."""
    parser = argparse.ArgumentParser(prog="python -m workers.log_tail", description=__doc__)
    parser.add_argument("lines", type=int, help="how many last lines the message keeps")
    parser.add_argument("--mask", default="", help="the secret variables (a,b): masked")
    parser.add_argument("--message", default="/dev/termination-log", help="where it is written")
    cut = list(argv).index("--") if "--" in argv else len(argv)
    found, command = parser.parse_args(argv[:cut]), list(argv[cut + 1 :])
    if not command or found.lines < 1:
        parser.error("a positive LINES and a COMMAND after -- are needed")
    return found, command


def _write(path: str, message: str | None) -> None:
    if message is None:  # the runner reads the log instead: nothing is lost
        return
    try:
        with open(path, "w", encoding="utf-8", errors="replace") as file:
            file.write(message)
    except OSError as error:
        print(f"log_tail: cannot write the termination message {path}: {error}", file=sys.stderr)


def main(argv: Sequence[str]) -> int:
    arguments, command = _arguments(argv)
    names = [n for n in arguments.mask.split(",") if n in os.environ]
    hidden = redaction(hidden_values({n: os.environ[n] for n in names}))
    try:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as error:
        print(f"log_tail: cannot start {command[0]}: {error}", file=sys.stderr)
        return 127

    def forward(signum: int, _: FrameType | None) -> None:
        child.send_signal(signum)

    for number in FORWARDED:
        signal.signal(number, forward)
    assert child.stdout is not None
    tail = Tail(child.stdout, arguments.lines, hidden)
    tail.thread.start()
    code = child.wait()
    tail.thread.join(DRAIN_SECONDS)  # a grandchild still holding the output is not waited for
    _write(arguments.message, termination_message(tail.last()))
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
