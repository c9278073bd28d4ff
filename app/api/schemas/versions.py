"""Answers about model versions, the ecosystem they hold, and their problems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.common import Body


class VersionBrief(Body):
    """The version an answer comes from."""

    id: int
    commit: str | None = None
    state: str
    activated_at: datetime | None = None


class EcosystemOut(Body):
    """The ecosystem, its version and the count of every entity."""

    name: str | None
    description: str | None = None
    classifications: list[str]
    version: VersionBrief
    counts: dict[str, int] = Field(examples=[{"datastores": 23, "workspaces": 12}])


class CommitOut(Body):
    """A commit recorded against a version."""

    commit_sha: str
    source: str
    recorded_at: datetime


class ModelVersionOut(Body):
    """A stored model version."""

    id: int
    state: str = Field(
        examples=["active"], description="loading, active, superseded, rejected or failed"
    )
    commit_sha: str | None = None
    source: str
    content_hash: str
    errors: int
    warnings: int
    counts: dict[str, Any]
    timings: dict[str, Any]
    failure: str | None = None
    created_at: datetime
    activated_at: datetime | None = None
    superseded_at: datetime | None = None
    commits: list[CommitOut] | None = None


class ModelVersionPage(Body):
    """A page of model versions, newest first."""

    items: list[ModelVersionOut]
    next_cursor: str | None = Field(description="null on the last page")


class ProblemOut(Body):
    """A validation problem."""

    ordinal: int | None = None
    severity: str = Field(examples=["error"])
    code: str = Field(examples=["sink-unknown-dataset"])
    message: str
    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None


class ProblemPage(Body):
    """A page of problems."""

    items: list[ProblemOut]
    next_cursor: str | None = Field(description="null on the last page")
