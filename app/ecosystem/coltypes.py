"""Column types of the model: parse them, print them canonically, and compare their width."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

ACCEPTED_FORMS = (
    "boolean, smallint, integer, bigint, real, double, decimal(p,s), varchar(n), char(n), text, "
    "date, time, timestamp, timestamptz, interval, json, binary, uuid, vector(n), array<T>, "
    "map<K,V>, struct<name: T, ...>"
)

SIMPLE = frozenset(
    "boolean smallint integer bigint real double text date "
    "time timestamp timestamptz interval json binary uuid".split()
)
# family and rank: a type widens to a higher rank of the same family
RANKS: dict[str, tuple[str, int]] = {
    "smallint": ("integer", 1),
    "integer": ("integer", 2),
    "bigint": ("integer", 3),
    "real": ("float", 1),
    "double": ("float", 2),
    "char": ("string", 1),
    "varchar": ("string", 2),
    "text": ("string", 3),
}
MAX_LENGTH = 10_485_760
MAX_DECIMAL_PRECISION = 1000
MAX_VECTOR_DIMENSIONS = 16_000
_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[(),<>:])")


class Width(StrEnum):
    SAME = "same"
    WIDER = "wider"
    NARROWER = "narrower"  # or a different family: a consumer may break


@dataclass(frozen=True, slots=True)
class ColumnType:
    """A parsed column type: its base name, numeric parameters, element types and fields."""

    base: str
    params: tuple[int, ...] = ()
    args: tuple[ColumnType, ...] = ()
    fields: tuple[tuple[str, ColumnType], ...] = ()

    def __str__(self) -> str:
        if self.params:
            return f"{self.base}({','.join(map(str, self.params))})"
        if self.base == "struct":
            return "struct<" + ", ".join(f"{n}: {t}" for n, t in self.fields) + ">"
        if self.args:
            return f"{self.base}<{','.join(map(str, self.args))}>"
        return self.base


class ColumnTypeError(ValueError):
    """A type string that does not parse."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text: str) -> list[str]:
        tokens: list[str] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match:
                raise ColumnTypeError(f"unexpected character {text[pos:].strip()[0]!r}")
            tokens.append(match.group(1))
            pos = match.end()
        return tokens

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            missing = f": expected {expected!r}" if expected is not None else ""
            raise ColumnTypeError(f"the type ends too early{missing}")
        if expected is not None and token != expected:
            raise ColumnTypeError(f"expected {expected!r} but found {token!r}")
        self.pos += 1
        return token

    def number(self) -> int:
        token = self.take()
        if not (token.isascii() and token.isdigit()):
            raise ColumnTypeError(f"expected a number but found {token!r}")
        return int(token)

    def parse(self, depth: int = 0) -> ColumnType:
        if depth > 32:
            raise ColumnTypeError("the type is nested too deeply")
        base = self.take().lower()
        if base in SIMPLE:
            return ColumnType(base)
        if base in ("varchar", "char"):
            length = self._single(base, "length")
            return ColumnType(base, (self._bounded(length, 1, MAX_LENGTH, "length"),))
        if base == "vector":
            dimensions = self._single(base, "dimensions")
            return ColumnType(
                base, (self._bounded(dimensions, 1, MAX_VECTOR_DIMENSIONS, "dimensions"),)
            )
        if base == "decimal":
            return self._decimal()
        if base == "array":
            return ColumnType(base, args=(self._angled(depth, 1)))
        if base == "map":
            return ColumnType(base, args=(self._angled(depth, 2)))
        if base == "struct":
            return self._struct(depth)
        raise ColumnTypeError(f"unknown type {base!r}")

    def _single(self, base: str, what: str) -> int:
        if self.peek() != "(":
            raise ColumnTypeError(f"{base} needs its {what} in parentheses, e.g. {base}(10)")
        self.take("(")
        value = self.number()
        self.take(")")
        return value

    @staticmethod
    def _bounded(value: int, low: int, high: int, what: str) -> int:
        if not low <= value <= high:
            raise ColumnTypeError(f"{what} {value} is outside {low}..{high}")
        return value

    def _decimal(self) -> ColumnType:
        if self.peek() != "(":
            raise ColumnTypeError("decimal needs its precision and scale, e.g. decimal(10,2)")
        self.take("(")
        precision = self._bounded(self.number(), 1, MAX_DECIMAL_PRECISION, "precision")
        self.take(",")
        scale = self._bounded(self.number(), 0, precision, "scale")
        self.take(")")
        return ColumnType("decimal", (precision, scale))

    def _angled(self, depth: int, arity: int) -> tuple[ColumnType, ...]:
        self.take("<")
        args = [self.parse(depth + 1)]
        while len(args) < arity:
            self.take(",")
            args.append(self.parse(depth + 1))
        self.take(">")
        return tuple(args)

    def _struct(self, depth: int) -> ColumnType:
        self.take("<")
        fields: list[tuple[str, ColumnType]] = []
        while True:
            name = self.take()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ColumnTypeError(f"expected a field name but found {name!r}")
            if any(existing == name for existing, _ in fields):
                raise ColumnTypeError(f"struct field {name!r} appears twice")
            self.take(":")
            fields.append((name, self.parse(depth + 1)))
            if self.take() == ">":
                return ColumnType("struct", fields=tuple(fields))
            self.pos -= 1
            self.take(",")


@lru_cache(maxsize=4096)
def parse_type(text: str) -> ColumnType:
    """Parse a column type (case-insensitive); raise ColumnTypeError naming what is wrong."""
    parser = _Parser(text)
    result = parser.parse()
    if parser.peek() is not None:
        raise ColumnTypeError(f"unexpected {parser.peek()!r} after {result}")
    return result


def compare(old: ColumnType, new: ColumnType) -> Width:
    """Whether a change from old to new keeps, widens or narrows what a consumer can read."""
    if old == new:
        return Width.SAME
    old_rank, new_rank = RANKS.get(old.base), RANKS.get(new.base)
    if old_rank and new_rank and old_rank[0] == new_rank[0]:
        return _ranked(old, new, old_rank[1], new_rank[1])
    if old.base != new.base:
        return Width.NARROWER
    if old.base == "decimal":
        (p1, s1), (p2, s2) = old.params, new.params
        return Width.WIDER if s2 >= s1 and p2 - s2 >= p1 - s1 else Width.NARROWER
    if old.base in ("array", "map"):
        return _combine(compare(a, b) for a, b in zip(old.args, new.args, strict=True))
    if old.base == "struct":
        new_fields = dict(new.fields)
        if any(name not in new_fields for name, _ in old.fields):
            return Width.NARROWER
        width = _combine(compare(t, new_fields[n]) for n, t in old.fields)
        if width is Width.SAME and len(new.fields) > len(old.fields):
            return Width.WIDER  # fields were added
        return width
    return Width.NARROWER  # vector dimensions differ


def _ranked(old: ColumnType, new: ColumnType, old_rank: int, new_rank: int) -> Width:
    old_len = old.params[0] if old.params else MAX_LENGTH + 1
    new_len = new.params[0] if new.params else MAX_LENGTH + 1
    if new_rank >= old_rank and new_len >= old_len:
        return Width.WIDER
    return Width.NARROWER


def _combine(widths: object) -> Width:
    seen = set(widths)  # type: ignore[call-overload]
    if Width.NARROWER in seen:
        return Width.NARROWER
    return Width.WIDER if Width.WIDER in seen else Width.SAME
