"""Bodies of the API tokens of the database: a request for one, a token as shown (never its
secret, but once, when it is created)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import Body


class TokenRequest(BaseModel):
    """A new token: its name, scopes, and optionally its teams and lifetime."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(
        max_length=100,
        description="unique, never reused: letters, digits, _ . @ -",
        examples=["team-risk-ci"],
    )
    scopes: list[Literal["read", "operate", "admin"]] = Field(
        min_length=1, max_length=3, examples=[["operate"]]
    )
    teams: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="ZONE/TEAM of the active model whose transformers and datastores it may"
        " start; empty: every team (not with admin)",
        examples=[["Risk/MarketRisk"]],
    )
    expires_in: str | None = Field(
        default=None,
        alias="expiresIn",
        max_length=20,
        description="how long it is accepted: a number and m, h, d or w (30d); null: never expires",
        examples=["30d"],
    )


class TokenOut(Body):
    """A token of the database as it is shown: never its secret."""

    name: str = Field(examples=["team-risk-ci"])
    scopes: list[str] = Field(examples=[["operate"]])
    teams: list[str] = Field(
        examples=[["Risk/MarketRisk"]], description="empty: every team's transformers"
    )
    created_at: datetime
    created_by: str = Field(examples=["platform"], description="the token or user that made it")
    expires_at: datetime | None = Field(default=None, description="null: never expires")
    revoked_at: datetime | None = Field(default=None, description="null: not revoked")
    revoked_by: str | None = None
    last_used_at: datetime | None = Field(
        default=None, description="when it was last accepted (recorded once a minute at most)"
    )


class CreatedToken(TokenOut):
    """A token just made, with its secret: shown this once, never again."""

    secret: str = Field(
        examples=["ecp_3q2-gR0..."], description="the bearer token: shown once, keep it secret"
    )


class TokenPage(Body):
    """A page of the database's tokens, by name (revoked ones too)."""

    items: list[TokenOut]
    next_cursor: str | None = Field(description="null on the last page")
