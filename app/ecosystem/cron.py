"""Five-field cron expressions: parsed once here so validation and scheduling agree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (field name, low, high, names offset by low)
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)
FORM = "five fields 'minute hour day-of-month month day-of-week' (e.g. '*/5 * * * *') or a macro such as @daily"


class CronError(ValueError):
    """A cron expression that does not parse."""


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """The allowed values of each field; day of week 0 is Sunday (7 is folded into 0)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]


def _value(text: str, low: int, high: int, names: list[str] | None, field: str) -> int:
    if names and text.lower() in names:
        return names.index(text.lower()) + (1 if names is MONTHS else 0)
    if not (text.isascii() and text.isdigit()):  # '²'.isdigit() is true, int('²') fails
        raise CronError(f"{field}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{field}: {value} is outside {low}-{high}")
    return value


def _field(text: str, index: int) -> frozenset[int]:
    name, low, high, names = FIELDS[index]
    values: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = _value(step_text, 1, high, None, f"{name} step") if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = _value(a, low, high, names, name), _value(b, low, high, names, name)
            if first > last:
                raise CronError(f"{name}: range {span!r} goes backwards")
        else:
            first = _value(span, low, high, names, name)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


@lru_cache(maxsize=1024)
def parse_cron(expression: str) -> CronSchedule:
    """Parse a cron expression or raise CronError naming the field that is wrong."""
    text = MACROS.get(expression.strip().lower(), expression)
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"expected {FORM}, got {len(parts)} field(s)")
    fields = [_field(part, i) for i, part in enumerate(parts)]
    dow = frozenset(d % 7 for d in fields[4])
    return CronSchedule(expression, fields[0], fields[1], fields[2], fields[3], dow)
