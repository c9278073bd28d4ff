"""The runs of jobs: one row per run of the security sync, a transformer, an ingestion or a builtin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Text, func, text
from sqlmodel import Field, SQLModel

KIND_COMMENT = (
    "security-sync, transformer, ingestion (a datastore's data ingestion)"
    " or a builtin (externalize-model)"
)
TARGET_COMMENT = "what it runs: a transformer's name, the datastore of an ingestion, or the kind"


class RunState(StrEnum):
    """Where a run is: waiting or running (active), or how it ended (final)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed-out"
    LOST = "lost"


class RunKind(StrEnum):
    """What a run executes: the security sync, a transformer's code, a builtin by its code, or
    a datastore's data ingestion."""

    SECURITY_SYNC = "security-sync"
    TRANSFORMER = "transformer"
    EXTERNALIZE_MODEL = "externalize-model"
    INGESTION = "ingestion"  # a batch of a datastore's data ingestion (target: the datastore)


ACTIVE = (RunState.QUEUED, RunState.RUNNING)
FINAL = tuple(state for state in RunState if state not in ACTIVE)
STATES = ", ".join(f"'{state.value}'" for state in RunState)
ACTIVE_STATES = ", ".join(f"'{state.value}'" for state in ACTIVE)  # SQL: state IN (...)


def spelled(values: list[str]) -> str:
    """`a, b or c`: the values as the column comments and descriptions list them."""
    return f"{', '.join(values[:-1])} or {values[-1]}"


class Run(SQLModel, table=True):
    """One run of a job (security sync, a transformer, a builtin): who asked, what happened."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(
            f"state IN ({STATES})",
            name="run_state_known",
        ),
        CheckConstraint(
            "trigger IN ('schedule', 'manual', 'input-change', 'model-change')",
            name="run_trigger_known",
        ),
        Index(
            "one_active_run",
            "kind",
            "target",
            unique=True,
            postgresql_where=text(f"state IN ({ACTIVE_STATES})"),
        ),
        Index(
            "run_idempotency_key",
            "kind",
            "target",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("runs_by_target", "kind", "target", "id"),
        Index("runs_followed_up", "id", postgresql_where=text("follow_up_version IS NOT NULL")),
        Index("runs_finished", "finished_at"),  # /metrics: the runs that ended lately
        {"comment": "Runs of jobs: at most one queued or running per kind and target."},
    )

    id: int | None = Field(
        default=None, sa_type=BigInteger, primary_key=True, sa_column_kwargs={"comment": "run id"}
    )
    kind: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": KIND_COMMENT},
    )
    target: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": TARGET_COMMENT},
    )
    version_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="model_versions.id",
        ondelete="SET NULL",
        sa_column_kwargs={"comment": "the model version it ran for"},
    )
    trigger: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "schedule, manual, input-change or model-change"},
    )
    state: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": spelled(list(RunState))},
    )
    attempts: int = Field(
        default=0, sa_column_kwargs={"comment": "attempts started", "server_default": text("0")}
    )
    runner_ref: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the runner's handle: a Job name, or local:<pid>:<run id>"},
    )
    exit_code: int | None = Field(default=None, sa_column_kwargs={"comment": "the exit status"})
    reason: str | None = Field(
        default=None, sa_type=Text, sa_column_kwargs={"comment": "why it ended as it did"}
    )
    log_tail: str | None = Field(
        default=None, sa_type=Text, sa_column_kwargs={"comment": "the last lines of its output"}
    )
    idempotency_key: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "a caller's Idempotency-Key, or a scheduler tick"},
    )
    requested_by: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the token name, or the scheduler"},
    )
    created_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it was asked for"},
    )
    started_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when the runner started it"},
    )
    finished_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when it ended"},
    )
    follow_up_version: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={
            "comment": "a version activated while this security sync ran:"
            " a sync follows it when it ends"
        },
    )
