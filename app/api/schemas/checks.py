"""Bodies of the checks routes: the verdict on a pull request's head, and its report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.common import Body


class CheckOut(Body):
    """The check of one head commit of a pull request: its state and its stored report."""

    id: int
    forge: str = Field(examples=["github"], description="github, gitlab or gitea")
    pull_request: int = Field(examples=[42], description="the pull (merge) request's number")
    head_sha: str = Field(examples=["9fceb02d0ae598e95dc970b74767f19372d61af8"])
    author: str | None = Field(default=None, description="who opened the pull request")
    state: str = Field(
        examples=["failure"],
        description="queued, running, pending (the forge could not be told: retried),"
        " success, failure or superseded",
    )
    attempts: int = Field(description="how many times it was worked on")
    next_attempt_at: datetime = Field(description="when a queued or pending check is tried")
    detail: str | None = Field(
        default=None,
        examples=["needs approval from github:bob (team USA/Analytics)"],
        description="the verdict in one line, or why it is pending or superseded",
    )
    report: dict[str, Any] | None = Field(
        default=None,
        description="problems, changes, breaking changes with the affected teams, the teams"
        " whose entities change, each approval needed (and who gave it), and the comment posted",
    )
    superseded_by: int | None = Field(default=None, description="the check that replaced it")
    created_at: datetime
    finished_at: datetime | None = None


class CheckPage(Body):
    """A page of checks, newest first."""

    items: list[CheckOut]
    next_cursor: str | None = Field(description="null on the last page")
