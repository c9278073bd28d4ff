"""The audit of the security sync: every applied sync and the operations it ran (no secrets)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, Text, func, text
from sqlmodel import Field, SQLModel


class SecuritySyncRecord(SQLModel, table=True):
    """One applied security sync."""

    __tablename__ = "security_syncs"
    __table_args__ = ({"comment": "Every applied security sync: when, from which model version."},)

    id: int | None = Field(
        default=None, sa_type=BigInteger, primary_key=True,
        sa_column_kwargs={"comment": "the sync id"},
    )  # fmt: skip
    applied_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={
            "server_default": func.now(),
            "comment": "when its transaction committed",
        },
    )
    model_version_id: int | None = Field(
        default=None, sa_type=BigInteger,
        sa_column_kwargs={"comment": "the model version it applied"},
    )  # fmt: skip
    operations: int = Field(
        default=0, sa_type=Integer,
        sa_column_kwargs={"comment": "how many operations it ran", "server_default": text("0")},
    )  # fmt: skip
    forced: bool = Field(
        default=False,
        sa_column_kwargs={
            "comment": "whether the drop guard was overridden",
            "server_default": text("false"),
        },
    )


class SecurityOperationRecord(SQLModel, table=True):
    """One operation of an applied sync, as shown in plans (passwords never stored)."""

    __tablename__ = "security_sync_operations"
    __table_args__ = ({"comment": "The operations of each applied security sync, in order."},)

    sync_id: int = Field(
        sa_type=BigInteger, primary_key=True, foreign_key="security_syncs.id", ondelete="CASCADE",
        sa_column_kwargs={"comment": "the sync"},
    )  # fmt: skip
    ordinal: int = Field(
        sa_type=Integer, primary_key=True, sa_column_kwargs={"comment": "its place in the sync"}
    )
    phase: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "roles, schemas, tables, views, revoke, grant or drop"},
    )
    action: str = Field(
        sa_type=Text, sa_column_kwargs={"comment": "e.g. create role, grant, drop view"}
    )
    target: str = Field(sa_type=Text, sa_column_kwargs={"comment": "the object it changed"})
    reason: str = Field(sa_type=Text, sa_column_kwargs={"comment": "why the sync ran it"})
    statement: str = Field(
        sa_type=Text, sa_column_kwargs={"comment": "its SQL, a password shown as ********"}
    )
