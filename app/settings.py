"""Settings of ecoplane, from environment variables prefixed ECOPLANE_ (see README)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Scope = Literal["read", "operate", "admin"]


class TokenEntry(BaseModel):
    """A configured API token: only the sha256 hex digest of the token is kept."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Scope]


class Settings(BaseSettings):
    """Every setting with its default; the embedded default needs none of them."""

    model_config = SettingsConfigDict(env_prefix="ECOPLANE_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="Postgres URL of the control-plane database; unset: an embedded server",
    )
    data_dir: Path = Field(
        default=Path(".ecoplane"),
        description="where the embedded Postgres and local state live",
    )
    keep_versions: int = Field(
        default=20, ge=1, description="how many model versions to keep (the active one always)"
    )
    tokens: list[TokenEntry] = Field(
        default_factory=list,
        description='API tokens as JSON: [{"name": ..., "sha256": ..., "scopes": [...]}]',
    )
    anonymous_read: bool | None = Field(
        default=None,
        description="allow reads without a token; unset: on with the embedded database, off otherwise",
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="largest /validate upload"
    )
    active_version_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how long the API may answer from a version after another one is activated",
    )
    load_example: bool = Field(
        default=True,
        description="with the embedded database and no active model, load examples/acme at start",
    )
    warehouse_url: str | None = Field(
        default=None,
        description="admin URL of the warehouse database; unset: database `warehouse` on the control-plane server",
    )
    secret_store: Literal["local", "aws", "kubernetes"] = Field(
        default="local", description="where transformers' credentials are kept"
    )
    secret_prefix: str = Field(
        default="ecoplane",
        pattern=r"^[A-Za-z0-9/_+=.@-]{1,200}$",
        description="AWS secret names start with `<prefix>/transformers/`",
    )
    security_max_drops: int = Field(
        default=10, ge=0, description="a sync refuses to drop more roles than this unless forced"
    )
    password_max_age_days: int | None = Field(
        default=90,
        ge=1,
        description="transformer passwords older than this are rotated; unset: never",
    )
    security_marker: str = Field(
        default="ecoplane_managed",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="the NOLOGIN group every role the sync manages is a member of",
    )
    role_prefix: str = Field(
        default="",
        pattern=r"^([a-z][a-z0-9_]{0,19})?$",
        description="put before every role name the sync manages (roles are cluster-wide)",
    )
    transformer_connection_limit: int = Field(
        default=10, ge=1, description="connection limit of each transformer role"
    )
    aws_region: str | None = Field(default=None, description="AWS region of Secrets Manager")
    aws_endpoint_url: str | None = Field(
        default=None, description="Secrets Manager endpoint (a VPC endpoint, or a test double)"
    )

    @property
    def embedded(self) -> bool:
        """Whether ecoplane runs its own embedded PostgreSQL."""
        return not self.database_url

    @property
    def reads_open(self) -> bool:
        """Whether anonymous callers may read."""
        return self.embedded if self.anonymous_read is None else self.anonymous_read
