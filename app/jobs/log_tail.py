"""A run's log tail: the secret values it was given masked, and its last lines kept.

The local runner reads its child's output itself. A Job's worker runs under the keeper
(`python -m workers.log_tail`), which masks what the worker prints and writes the last lines to
the container's termination message: the Kubernetes runner then finds the tail in the pod it
lists anyway, instead of asking the API server for the pod's log (a call the API server passes
on to the node's kubelet) once per run. A message is the keeper's only when it begins with
`HEADER`; a tail longer than a termination message may be is not written, and the runner reads
the log as before (at most LOG_BYTES of it). Either way each recorded line is cut to LINE_CHARS,
as the local runner cuts it.

Standard library only: the keeper imports this before it starts the worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "***"
# where and as whom a run connects: not secret (the role's name is in every plan), and masking
# them would mask common words ('warehouse', '5432') in every log
PUBLIC = frozenset({"PGHOST", "PGPORT", "PGDATABASE", "PGUSER"})
HEADER = "ecoplane log tail"  # the first line of a termination message the keeper wrote
MESSAGE_BYTES = 4096  # what Kubernetes keeps of a container's termination message
KEEPER = "workers.log_tail"  # the keeper's module: `python -m workers.log_tail LINES ...`
LINE_CHARS = 2000  # what a run's recorded tail keeps of one line: a long one must not fill it
LOG_BYTES = 2**20  # what the Kubernetes runner reads of a pod's log at most (`limitBytes`)


def url_password(value: str) -> str | None:
    """The password inside a URL (`scheme://user:password@host/...`), if it is one."""
    if "://" not in value:
        return None
    try:
        return urlsplit(value).password or None
    except ValueError:
        return None


def hidden_values(variables: dict[str, str]) -> list[str]:
    """What to mask of secret variables given to a run: every value but the public libpq
    ones, and the password inside a URL on its own (it may be printed apart)."""
    found = [v for k, v in variables.items() if k not in PUBLIC]
    return found + [p for v in variables.values() if (p := url_password(v))]


def redacted(line: str, values: tuple[str, ...]) -> str:
    """The line with every value replaced by `***` (values longest first)."""
    for value in values:
        if value in line:
            line = line.replace(value, MASK)
    return line


def redaction(values: list[str]) -> tuple[str, ...]:
    """The values to redact, longest first (so no part of a longer one is left), none empty."""
    return tuple(sorted({v for v in values if v}, key=len, reverse=True))


def tail_of(text: str, lines: int) -> str | None:
    """The last lines of a log, each cut to LINE_CHARS; None when there is none."""
    kept = [line[:LINE_CHARS] for line in text.rstrip("\n").split("\n")[-lines:]]
    return "\n".join(kept) or None


def termination_message(lines: Iterable[str]) -> str | None:
    """The keeper's termination message of these last lines, or None when it would not fit."""
    message = "\n".join((HEADER, *lines))
    return message if len(message.encode("utf-8", "replace")) <= MESSAGE_BYTES else None


def kept_tail(message: str | None) -> str | None:
    """The tail in a termination message the keeper wrote ('' for a run that printed nothing),
    or None when the message is not one."""
    if message is None or not (message == HEADER or message.startswith(HEADER + "\n")):
        return None
    return message[len(HEADER) + 1 :].rstrip("\n")
