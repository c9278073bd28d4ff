"""Subscriptions: who gets which events, read from ECOPLANE_NOTIFY and checked at start.

A subscription is a URL, the globs of the event types it wants (`run.*`, `model.version.*`),
a format (a name of `app.events.formats.FORMATS`) and, optionally, the name of the variable
holding the HMAC secret its deliveries are signed with. The service writes its subscriptions to
`event_subscriptions` when it starts, so that an event emitted anywhere (a worker of a Job
included) gets its deliveries from the table, in the emitting transaction. The globs are kept
as regular expressions Postgres matches; `openlineage.*` events reach only subscriptions whose
glob starts with `openlineage`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from app.errors import AppError
from app.settings import Settings

OPENLINEAGE = "openlineage"
GLOB = re.compile(r"^[A-Za-z0-9_.*?-]{1,200}$")
FIELDS = {"url", "types", "format", "secretEnv"}
MAX_SUBSCRIPTIONS = 100


class NotifyConfigError(AppError):
    """ECOPLANE_NOTIFY (or ECOPLANE_OPENLINEAGE_URL) cannot be used: says which entry and field."""

    status = 500
    type = "notify-config"


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where events of some types go, in which format, signed with which secret (its variable)."""

    url: str
    types: tuple[str, ...]
    format: str
    secret_env: str | None = None

    @property
    def key(self) -> str:
        """Stable across restarts: the url's sha256 (16 hex digits) and the format."""
        return f"{hashlib.sha256(self.url.encode()).hexdigest()[:16]}-{self.format}"

    @property
    def shown(self) -> str:
        """The url as it may be shown: scheme, host and port (a path may hold a token)."""
        return shown_url(self.url)

    def patterns(self) -> list[str]:
        """The globs as Postgres regular expressions."""
        return [glob_pattern(glob) for glob in self.types]


def shown_url(url: str) -> str:
    """Scheme and host of a url, `/…` when it has a path: Slack's webhook path is its secret."""
    parts = urlsplit(url)
    return (
        f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{'/…' if parts.path.strip('/') else ''}"
    )


def glob_pattern(glob: str, *, guarded: bool = True) -> str:
    """`run.*` → `^(?!openlineage\\.)run\\..*$`: `*` any text, `?` one character, anchored;
    guarded, a glob not starting with `openlineage` never matches an `openlineage.` type."""
    body = "".join(
        ".*" if c == "*" else "." if c == "?" else c if c.isalnum() else f"\\{c}" for c in glob
    )
    guard = "" if glob.startswith(OPENLINEAGE) or not guarded else f"(?!{OPENLINEAGE}\\.)"
    return f"^{guard}{body}$"


def parse_notify(
    text: str | None, environ: Mapping[str, str], formats: Sequence[str]
) -> list[Subscription]:
    """The subscriptions of ECOPLANE_NOTIFY; NotifyConfigError naming the entry and its field."""
    if text is None or not text.strip():
        return []
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotifyConfigError(f"ECOPLANE_NOTIFY is not JSON: {error}") from error
    if not isinstance(entries, list):
        raise NotifyConfigError("ECOPLANE_NOTIFY must be a JSON list of subscriptions")
    if len(entries) > MAX_SUBSCRIPTIONS:
        raise NotifyConfigError(
            f"ECOPLANE_NOTIFY has {len(entries)} entries; at most {MAX_SUBSCRIPTIONS}"
        )
    return [_entry(number, entry, environ, formats) for number, entry in enumerate(entries, 1)]


def _entry(
    number: int, entry: Any, environ: Mapping[str, str], formats: Sequence[str]
) -> Subscription:
    where = f"ECOPLANE_NOTIFY entry {number}"
    if not isinstance(entry, dict):
        raise NotifyConfigError(f"{where} must be an object with url, types, format, secretEnv")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise NotifyConfigError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(FIELDS))})"
        )
    url = entry.get("url")
    if (
        not isinstance(url, str)
        or urlsplit(url).scheme not in ("http", "https")
        or not urlsplit(url).hostname
    ):
        raise NotifyConfigError(f"{where}: url must be an http(s) URL")
    where = f"{where} ({shown_url(url)})"
    types = entry.get("types")
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and GLOB.match(t) for t in types)
    ):
        raise NotifyConfigError(
            f"{where}: types must be a non-empty list of globs of letters, digits, . _ - * ?"
            ' (e.g. ["run.failed", "model.version.*"])'
        )
    kind = entry.get("format", "cloudevents")
    if kind not in formats:
        raise NotifyConfigError(
            f"{where}: format must be one of {', '.join(formats)}, not {kind!r}"
        )
    secret_env = entry.get("secretEnv")
    if secret_env is not None:
        if not isinstance(secret_env, str) or not secret_env:
            raise NotifyConfigError(f"{where}: secretEnv must name an environment variable")
        if not environ.get(secret_env):
            raise NotifyConfigError(f"{where}: secretEnv names {secret_env}, which is not set")
    return Subscription(url, tuple(types), kind, secret_env)


def configured(
    settings: Settings, formats: Sequence[str], environ: Mapping[str, str] | None = None
) -> list[Subscription]:
    """Every subscription of the settings: ECOPLANE_NOTIFY's and ECOPLANE_OPENLINEAGE_URL's."""
    environ = os.environ if environ is None else environ
    subscriptions = parse_notify(settings.notify, environ, formats)
    if settings.openlineage_url:
        url = settings.openlineage_url
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise NotifyConfigError("ECOPLANE_OPENLINEAGE_URL must be an http(s) URL")
        subscriptions.append(Subscription(url, (f"{OPENLINEAGE}.*",), OPENLINEAGE))
    keys = [s.key for s in subscriptions]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        twice = subscriptions[keys.index(duplicate)]
        raise NotifyConfigError(
            f"ECOPLANE_NOTIFY names {twice.shown} twice with format {twice.format}"
        )
    return subscriptions


async def register(connection: asyncpg.Connection, subscriptions: Sequence[Subscription]) -> None:
    """Make the table hold exactly these subscriptions (one transaction)."""
    async with connection.transaction():
        await connection.execute(
            "DELETE FROM event_subscriptions WHERE NOT key = ANY($1::text[])",
            [s.key for s in subscriptions],
        )
        for s in subscriptions:
            await connection.execute(
                "INSERT INTO event_subscriptions (key, url, shown, format, patterns, secret_env)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET url = $2,"
                " shown = $3, format = $4, patterns = $5, secret_env = $6, updated_at = now()",
                s.key, s.url, s.shown, s.format, s.patterns(), s.secret_env,
            )  # fmt: skip
