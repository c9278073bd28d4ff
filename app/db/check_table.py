"""Pull-request checks: the verdict on one head commit of a pull request, and how posting it went."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class CheckState(StrEnum):
    """Where a check is: waiting, being worked out, waiting for the forge, or its verdict."""

    QUEUED = "queued"
    RUNNING = "running"
    PENDING = "pending"  # worked out or not, the forge could not be told: retried
    SUCCESS = "success"
    FAILURE = "failure"
    SUPERSEDED = "superseded"


WAITING = (CheckState.QUEUED, CheckState.RUNNING, CheckState.PENDING)
STATES = ", ".join(f"'{s.value}'" for s in CheckState)


class Check(SQLModel, table=True):
    """The check of one pull request's head commit, asked for by a webhook delivery."""

    __tablename__ = "checks"
    __table_args__ = (
        CheckConstraint(f"state IN ({STATES})", name="check_state_known"),
        CheckConstraint("forge IN ('github', 'gitlab', 'gitea')", name="check_forge_known"),
        Index(
            "checks_one_per_delivery",
            "forge",
            "delivery_id",
            unique=True,
            postgresql_where=text("delivery_id IS NOT NULL"),
        ),
        Index("checks_of_pull_request", "pull_request", "id"),
        Index(
            "checks_due", "next_attempt_at", postgresql_where=text("state IN ('queued', 'pending')")
        ),
        {"comment": "The verdicts on pull requests of the model repository, one per head checked."},
    )

    id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        primary_key=True,
        sa_column_kwargs={"comment": "the check id"},
    )
    forge: str = Field(sa_type=Text, sa_column_kwargs={"comment": "github, gitlab or gitea"})
    pull_request: int = Field(
        sa_type=Integer, sa_column_kwargs={"comment": "the pull (merge) request's number"}
    )
    head_sha: str = Field(sa_type=Text, sa_column_kwargs={"comment": "the head commit checked"})
    author: str | None = Field(
        default=None, sa_type=Text, sa_column_kwargs={"comment": "who opened the pull request"}
    )
    delivery_id: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the webhook delivery id: a redelivery creates nothing"},
    )
    state: str = Field(
        sa_type=Text,
        sa_column_kwargs={
            "comment": "queued, running, pending (retried), success, failure or superseded"
        },
    )
    attempts: int = Field(
        default=0,
        sa_column_kwargs={"comment": "times it was worked on", "server_default": text("0")},
    )
    next_attempt_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it is tried (again)"},
    )
    detail: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the verdict in one line, or why it is pending"},
    )
    report: dict[str, Any] | None = Field(
        default=None,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "problems, changes, approvals needed and given, the comment"},
    )
    superseded_by: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={"comment": "the check of a newer event of the pull request"},
    )
    created_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it was asked for"},
    )
    finished_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when its verdict was posted"},
    )
