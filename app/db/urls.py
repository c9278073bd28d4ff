"""Postgres URLs in the two spellings we need: SQLAlchemy's and asyncpg's."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def sqlalchemy_url(url: str) -> URL:
    """The URL with the asyncpg driver, for SQLAlchemy's async engine."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def asyncpg_dsn(url: str) -> str:
    """The URL without a driver suffix, for asyncpg.connect."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """The same server, another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)
