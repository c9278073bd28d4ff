"""Answers about model versions, the ecosystem they hold, and their problems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.schemas.common import Body
from app.catalog.overrides import REASON_MAX


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


class ChangeOut(Body):
    """One change between two models, rated by the rules table."""

    kind: str = Field(examples=["removed"], description="added, removed or changed")
    path: str = Field(examples=["Datastore/Customers/datasets/customers/columns/email"])
    rule: str = Field(examples=["column-removed"])
    severity: str = Field(examples=["breaking"], description="breaking, warning or safe")
    message: str
    affected_workspaces: list[str] = Field(description="workspaces that sink what changed")
    indirectly_affected_workspaces: list[str] = Field(
        description="workspaces reached through the transformers of the affected ones"
    )


class ActivationOut(Body):
    """An activation of a version: automatic, or on purpose (an override or a rollback)."""

    kind: str = Field(examples=["override"], description="automatic, override or rollback")
    by: str = Field(
        examples=["release-manager"], description="the token's name, the ingest, or the command"
    )
    at: datetime
    reason: str
    from_version: int | None = Field(description="the version active before; null: none was")


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
    held_back: str | None = Field(
        default=None,
        description="why a version without errors was not activated: its breaking changes"
        " (state rejected), or a newer commit active (superseded)",
    )
    breaking_changes: list[ChangeOut] | None = Field(
        default=None,
        description="the breaking changes it was held back for (one version only)",
    )
    created_at: datetime
    activated_at: datetime | None = None
    superseded_at: datetime | None = None
    commits: list[CommitOut] | None = None
    activations: list[ActivationOut] | None = Field(
        default=None, description="who activated it, when, why, newest first (one version only)"
    )


class ActivationRequest(BaseModel):
    """Why a stored version is activated on purpose."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1,
        max_length=REASON_MAX,
        description="why: recorded with the activation and shown on the version",
        examples=["TradeSurveillance agreed to drop phone; its sink is adapted in PR 42"],
    )

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("the reason is blank: say why the version is activated")
        return reason.strip()


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
