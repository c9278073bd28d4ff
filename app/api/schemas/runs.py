"""Response bodies of runs (camelCase)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.api.schemas.common import Body
from app.db.run_table import RunState, spelled


class RunOut(Body):
    """One run of a job: what, why, its state, times, exit status and the end of its output."""

    id: int = Field(examples=[42])
    kind: str = Field(
        examples=["transformer"], description="security-sync, transformer, ingestion or a builtin"
    )
    target: str = Field(
        examples=["segment_customers"],
        description="the transformer it runs, or the datastore an ingestion fills",
    )
    version_id: int | None = Field(
        default=None, examples=[7], description="the model version it ran for"
    )
    trigger: str = Field(
        examples=["manual"], description="schedule, manual, input-change or model-change"
    )
    state: str = Field(
        examples=["succeeded"],
        description=spelled(list(RunState)),
    )
    attempts: int = Field(examples=[1], description="attempts started")
    runner_ref: str | None = Field(
        default=None,
        examples=["ecoplane-transformer-segment-customers-42"],
        description="the Job name (Kubernetes) or local:<pid>:<run id>",
    )
    exit_code: int | None = Field(default=None, examples=[0])
    reason: str | None = Field(
        default=None, examples=["exited with status 1"], description="why it ended as it did"
    )
    log_tail: str | None = Field(default=None, description="the last lines of its output")
    idempotency_key: str | None = Field(
        default=None, description="the Idempotency-Key it came with"
    )
    requested_by: str | None = Field(
        default=None, examples=["ci"], description="the token's name, the scheduler or a run"
    )
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    follow_up_version: int | None = Field(
        default=None,
        examples=[8],
        description="a version activated while it ran: a run of the same target follows it",
    )


class RunPage(Body):
    """A page of runs, newest first."""

    items: list[RunOut]
    next_cursor: str | None = Field(description="null on the last page")
