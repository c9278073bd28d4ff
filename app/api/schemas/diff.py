"""Bodies of the diff and validate routes: change lists between versions, validation reports."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.api.schemas.common import Body
from app.api.schemas.versions import ChangeOut, ProblemOut, VersionBrief


class ChangeList(Body):
    """Changes, breaking ones first."""

    breaking: int = Field(description="how many changes are breaking")
    changes: list[ChangeOut]


class VersionDiffOut(ChangeList):
    """The changes from one stored version to another."""

    from_: VersionBrief = Field(alias="from")
    to: VersionBrief


class ActiveDiffOut(ChangeList):
    """The changes from the active version to a validated model."""

    from_: VersionBrief = Field(alias="from", description="the active version")


class ModelFilesIn(Body):
    """A model as file contents by path relative to the model root."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str] = Field(
        examples=[{"ecosystem.yaml": "apiVersion: ecoplane.io/v1\nkind: Ecosystem\n..."}]
    )


class ValidationOut(Body):
    """The problems of a model and its changes against the active version; nothing is stored."""

    errors: int
    warnings: int
    problems: list[ProblemOut]
    diff: ActiveDiffOut | None = Field(
        description="null when no version is active; with errors, documents that failed to"
        " load look removed"
    )
