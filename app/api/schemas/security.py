"""Response bodies of the security routes: plans and the audit (never a password)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.api.schemas.common import Body


class OperationOut(Body):
    """One operation of a plan, in the order it runs."""

    phase: str = Field(
        examples=["roles"], description="roles, schemas, tables, views, revoke, grant or drop"
    )
    action: str = Field(examples=["create role"])
    target: str = Field(examples=["dt_segment_customers"])
    reason: str = Field(examples=["new transformer"])
    statement: str = Field(description="its SQL; a password is shown as ********")


class SecurityPlanOut(Body):
    """What a security sync would change in the warehouse now."""

    model_version: int = Field(description="the model version the plan follows")
    changes: bool = Field(description="false when the warehouse is converged")
    applied: bool = Field(description="always false here: a plan is a dry run")
    sync_id: int | None = Field(default=None, description="null for a dry run")
    role_drops: int = Field(description="roles the plan drops (the drop guard counts them)")
    operations: list[OperationOut]
    pending: list[str] = Field(description="views waiting for their raw table, and kept schemas")
    problems: list[str] = Field(
        description="what the sync cannot do, e.g. a raw table missing a column"
    )
    obsolete_secrets: list[str] = Field(
        description="transformers whose credentials would be deleted"
    )


class AuditEntryOut(Body):
    """An operation an applied sync ran."""

    sync_id: int
    ordinal: int = Field(description="its place in the sync")
    applied_at: datetime
    model_version_id: int | None
    forced: bool = Field(description="whether the drop guard was overridden")
    phase: str
    action: str
    target: str
    reason: str
    statement: str = Field(description="its SQL; a password is shown as ********")


class AuditPage(Body):
    """A page of the audit: newest sync first, each sync's operations in order."""

    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="null on the last page")
