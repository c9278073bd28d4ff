"""Cursor paging: `limit` and an opaque `cursor`; a page says `items` and `nextCursor`."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from app.catalog.json_sql import JsonPage
from app.errors import AppError, InvalidParameterError

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
VERSION, KEY = "v", "k"  # what a cursor of a model version's list holds

Limit = Annotated[
    int,
    Query(
        ge=1, le=MAX_LIMIT, description=f"items per page (default {DEFAULT_LIMIT}, max {MAX_LIMIT})"
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        description="the `nextCursor` of the previous page; of a model list, it keeps reading"
        " the version the walk started on",
    ),
]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = Field(alias="nextCursor", description="null on the last page")

    model_config = {"populate_by_name": True}


class CursorExpiredError(AppError):
    """A cursor made from a model version that is no longer stored: the walk must start again."""

    status = 410
    type = "cursor-expired"


def encode_cursor(key: Any, version: int | None = None) -> str:
    """An opaque cursor for the last key of a page; of a model version's list, it holds that
    version too, so that the next pages are read from it whatever is activated meanwhile."""
    held = key if version is None else {VERSION: version, KEY: key}
    return (
        base64.urlsafe_b64encode(json.dumps(held, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _held(cursor: str) -> Any:
    """What a cursor holds: a key, or a model version and a key."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidParameterError("cursor", "cursor is not one this API gave out") from error


def decode_cursor(cursor: str | None) -> Any:
    """The key a cursor stands for, or None without one; a bad cursor is a 422 naming `cursor`."""
    if cursor is None:
        return None
    held = _held(cursor)
    return held[KEY] if isinstance(held, dict) and KEY in held else held


def cursor_version(cursor: str | None) -> int | None:
    """The model version a cursor was made from; None for cursors of other lists (or none)."""
    held = None if cursor is None else _held(cursor)
    if not isinstance(held, dict):
        return None
    version = held.get(VERSION)
    if not (type(version) is int and 0 < version < 2**62 and KEY in held):
        raise InvalidParameterError("cursor", "cursor is not one this API gave out")
    return version


def page(
    rows: list[dict[str, Any]], limit: int, *key: str, version: int | None = None
) -> dict[str, Any]:
    """A page from up to limit+1 rows: the extra row only says there is a next page.

    The cursor holds the last item's key (one field, or a list of several) and the version.
    """
    more = len(rows) > limit
    items = rows[:limit]
    if not (more and items):
        return {"items": items, "nextCursor": None}
    last = items[-1]
    held = last[key[0]] if len(key) == 1 else [last[k] for k in key]
    return {"items": items, "nextCursor": encode_cursor(held, version)}


def text_after(cursor: str | None) -> str | None:
    """The name a cursor continues after."""
    key = decode_cursor(cursor)
    if key is not None and not isinstance(key, str):
        raise InvalidParameterError("cursor", "cursor does not belong to this list")
    return key


def number_after(cursor: str | None) -> int | None:
    """The number (id, ordinal) a cursor continues after."""
    key = decode_cursor(cursor)
    if key is not None and (not isinstance(key, int) or isinstance(key, bool)):
        raise InvalidParameterError("cursor", "cursor does not belong to this list")
    return key


def pair_after(cursor: str | None) -> tuple[str, str] | None:
    """The two-part name (e.g. zone and team) a cursor continues after."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
        raise InvalidParameterError("cursor", "cursor does not belong to this list")
    return key[0], key[1]


def json_page_body(found: JsonPage, version: int) -> str:
    """The JSON of a page of a version that Postgres rendered: its items and the next cursor."""
    cursor = None if found.last is None else encode_cursor(found.last, version)
    return f'{{"items":{found.items},"nextCursor":{json.dumps(cursor)}}}'
