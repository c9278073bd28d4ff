"""Bodies of the ingest and webhook routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.checks import CheckOut
from app.api.schemas.common import Body


class IngestRequest(BaseModel):
    """Which commit of the configured repository to ingest."""

    model_config = ConfigDict(extra="forbid")
    ref: str = Field(
        min_length=1,
        max_length=255,
        description="a branch, tag or commit sha of the model repository",
        examples=["main"],
    )


class IngestOut(Body):
    """A request to ingest a commit, and how far it got."""

    id: int
    trigger: str = Field(examples=["github"], description="github, gitlab, gitea, manual or poll")
    ref: str = Field(examples=["main"], description="the branch, tag or commit asked for")
    commit_sha: str | None = Field(
        default=None, examples=["9fceb02d0ae598e95dc970b74767f19372d61af8"]
    )
    delivery_id: str | None = Field(default=None, description="the webhook delivery id")
    requested_by: str | None = None
    state: str = Field(
        examples=["active"],
        description="queued, fetching, validating, storing, active, rejected, superseded or failed",
    )
    version_id: int | None = Field(default=None, description="the model version it was stored as")
    errors: int = Field(description="validation errors of the commit's model")
    warnings: int
    detail: str | None = Field(
        default=None, description="why it failed or was superseded, or that it did nothing new"
    )
    timings: dict[str, float] = Field(examples=[{"fetch": 0.41, "load": 0.12, "store": 0.3}])
    retry_of: int | None = Field(default=None, description="the interrupted ingest it retries")
    superseded_by: int | None = Field(default=None, description="the ingest that replaced it")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class IngestPage(Body):
    """A page of ingests, newest first."""

    items: list[IngestOut]
    next_cursor: str | None = Field(description="null on the last page")


class WebhookOut(Body):
    """What a webhook delivery did."""

    status: Literal["queued", "duplicate", "ignored", "pong"] = Field(
        description="queued: an ingest (a push) or a check (a pull-request event) was recorded;"
        " duplicate: this delivery was seen before; ignored: not a push to the followed branch"
        " nor an event of a pull request into it; pong: a ping was answered"
    )
    reason: str | None = Field(default=None, description="why the delivery was ignored")
    ingest: IngestOut | None = Field(default=None, description="the ingest it recorded")
    check: CheckOut | None = Field(default=None, description="the pull-request check it recorded")
