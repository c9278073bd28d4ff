"""Settings of ecoplane, from environment variables prefixed ECOPLANE_ (see README)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.settings_oidc import check_oidc

Scope = Literal["read", "operate", "admin"]
MARKER_ROLE = "ecoplane_managed"  # the marker's name after the role prefix
RELEASE = "0.1.0"  # the image tag of this release (pyproject's version; a test keeps them equal)
CLAIM_PATH = r"^[^\s.]+(\.[^\s.]+)*$"  # a claim (`https://acme.example/roles`), or a dotted path


def implied_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes with those they include: admin includes operate, operate includes read."""
    found = set(scopes)
    if "admin" in found:
        found |= {"operate", "read"}
    if "operate" in found:
        found.add("read")
    return frozenset(found)


def new_token() -> str:
    """A new random API token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The sha256 hex digest a token is configured and checked by."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


class TokenEntry(BaseModel):
    """A configured API token: only the sha256 hex digest of the token is kept."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Scope]

    @classmethod
    def of(cls, name: str, token: str, scopes: list[Scope]) -> TokenEntry:
        """The entry of a token (its digest, never the token)."""
        return cls(name=name, sha256=token_digest(token), scopes=sorted(set(scopes)))


class Settings(BaseSettings):
    """Every setting with its default; the embedded default needs none of them."""

    # errors name the setting and the problem, never the values given (secrets among them)
    model_config = SettingsConfigDict(
        env_prefix="ECOPLANE_", extra="ignore", hide_input_in_errors=True
    )

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
    breaking_changes: Literal["reject", "allow"] = Field(
        default="reject",
        description="a version that breaks a consumer of the active one: `reject` stores it as"
        " rejected with its breaking changes (activate it on purpose to override), `allow`"
        " activates it",
    )
    tokens: list[TokenEntry] = Field(
        default_factory=list,
        description='API tokens as JSON: [{"name": ..., "sha256": ..., "scopes": [...]}]',
    )
    anonymous_read: bool | None = Field(
        default=None,
        description="allow reads without a token; unset: on with the embedded database, off otherwise",
    )
    metrics_open: bool | None = Field(
        default=None,
        description="allow /metrics without a token; unset: as reads (ECOPLANE_ANONYMOUS_READ)",
    )
    max_upload_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="the largest /validate body read, and the most bytes an uploaded archive"
        " may decompress to",
    )
    max_file_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="the largest model file read (a larger one is a file-too-large problem,"
        " or refused with 413 in an upload)",
    )
    max_model_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="the most bytes all model files of one model may have together"
        " (an ingest is rejected, an upload refused with 413)",
    )
    max_model_nodes: int = Field(
        default=1_000_000,
        ge=1000,
        description="the most YAML nodes (mappings, lists, keys, values) one model may have;"
        " bounds the memory a load takes",
    )
    active_version_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how long the API may answer from a version after another one is activated",
    )
    read_pool_size: int = Field(
        default=0,
        ge=0,
        le=200,
        description="connections the API reads on at once (0: with the embedded database,"
        " four per core of this machine, at most 20; with another, 20): more than the"
        " database's cores can run only queue inside it",
    )
    answer_cache_mb: int = Field(
        default=32,
        ge=0,
        description="memory for answers of a model version kept for the next caller (0: none)",
    )
    load_example: bool = Field(
        default=True,
        description="with the embedded database and no active model, load examples/acme at start",
    )
    warehouse_kind: Literal["postgres"] = Field(
        default="postgres",
        description="the kind of warehouse the security sync manages (Postgres, the one there is)",
    )
    warehouse_url: str | None = Field(
        default=None,
        description="admin URL of the warehouse database; unset: database `warehouse` on the control-plane server",
    )
    secret_store: Literal["local", "aws", "kubernetes"] = Field(
        default="local",
        description="where transformers' credentials and the source logins of `ecoplane credential set` are kept",
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
    security_marker: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="the NOLOGIN group every role the sync manages is a member of;"
        " unset: `<role prefix>ecoplane_managed`",
    )
    role_prefix: str = Field(
        default="",
        pattern=r"^([a-z][a-z0-9_]{0,19})?$",
        description="put before every role name the sync manages (roles are cluster-wide)",
    )
    dashboard_role: str = Field(
        default="ecoplane_dashboard",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="the read-only login role of dashboards and the model export"
        " (`ecoplane db grant-dashboard`); roles are cluster-wide: installations sharing"
        " a PostgreSQL server need one each",
    )
    transformer_connection_limit: int = Field(
        default=10, ge=1, description="connection limit of each transformer role"
    )
    aws_region: str | None = Field(default=None, description="AWS region of Secrets Manager")
    aws_endpoint_url: str | None = Field(
        default=None, description="Secrets Manager endpoint (a VPC endpoint, or a test double)"
    )

    model_repo: str | None = Field(
        default=None,
        description="the model repository to follow: a git URL or a local path; unset: none",
    )
    model_branch: str = Field(default="main", description="the branch whose pushes are ingested")
    model_subdir: str = Field(default=".", description="the model root inside the repository")
    model_repo_name: str | None = Field(
        default=None,
        description="e.g. acme/data-model: pushes from other repositories are ignored",
    )
    git_token: SecretStr | None = Field(
        default=None,
        description="token for https access to the repository (never logged or shown)",
    )
    git_username: str = Field(
        default="x-access-token",
        description="user name sent with the token (GitLab: oauth2)",
    )
    webhook_secret_github: SecretStr | None = Field(
        default=None, description="secret of the GitHub webhook; unset: its pushes are refused"
    )
    webhook_secret_gitlab: SecretStr | None = Field(
        default=None, description="secret token of the GitLab webhook; unset: refused"
    )
    webhook_secret_gitea: SecretStr | None = Field(
        default=None, description="secret of the Gitea webhook; unset: refused"
    )
    webhook_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="the largest webhook body read"
    )
    forge: Literal["github", "gitlab", "gitea"] | None = Field(
        default=None,
        description="the forge hosting the model repository: pull requests get a verdict; unset: none",
    )
    forge_api_url: str | None = Field(
        default=None,
        description="the forge's REST API (self-hosted); unset: api.github.com, gitlab.com/api/v4",
    )
    forge_token: SecretStr | None = Field(
        default=None,
        description="token that posts statuses and comments and reads reviews (never logged)",
    )
    forge_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long one forge API call may take before a retry"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where users reach this service: the link of a pull request's status",
    )
    poll_seconds: float = Field(
        default=300,
        ge=0,
        description="how often to compare the branch head with the last ingest; 0: never",
    )
    git_timeout_seconds: float = Field(
        default=120, gt=0, description="how long one git command may run"
    )
    max_commit_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="the largest model subtree of a commit that is ingested",
    )
    runner: Literal["local", "kubernetes"] = Field(
        default="local",
        description="what runs jobs: local child processes, or Kubernetes Jobs",
    )
    jobs_namespace: str = Field(
        default="ecoplane", description="the Kubernetes namespace the runner creates Jobs in"
    )
    kubeconfig: Path | None = Field(
        default=None,
        description="kubeconfig used outside a cluster; unset: $KUBECONFIG or ~/.kube/config",
    )
    kubernetes_timeout_seconds: float = Field(
        default=30.0, gt=0, description="how long one Kubernetes API call may take before a retry"
    )
    jobs_image: str = Field(
        default=f"ghcr.io/ecoplane/ecoplane:{RELEASE}",
        description="the service's own image: runs python and builtin code, and the security sync",
    )
    jobs_config_map: str | None = Field(
        default="ecoplane-config",
        description="ConfigMap of the service's settings, given to its own workers' Jobs",
    )
    transformer_service_account: str = Field(
        default="ecoplane-transformer", description="the service account of transformer Jobs"
    )
    security_sync_service_account: str = Field(
        default="ecoplane-security-sync",
        description="the service account of security-sync Jobs (may carry an IRSA role)",
    )
    jobs_ttl_seconds: int = Field(
        default=86400, ge=0, description="how long Kubernetes keeps a finished Job"
    )
    local_container_commands: bool = Field(
        default=False,
        description="let the local runner run a container transformer's command on this machine",
    )
    python_path: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="directories put before PYTHONPATH of python-code runs (os.pathsep-separated"
        " or a JSON list); the example's `examples/` is added when it is loaded",
    )
    log_tail_lines: int = Field(
        default=50, ge=1, le=10000, description="how many last lines of a run's output are kept"
    )
    security_sync_cron: str | None = Field(
        default=None, description="when the security sync runs (cron); unset: only on request"
    )
    security_sync_on_activation: bool = Field(
        default=True,
        description="the leader runs the security sync after each activation; the onModelChange"
        " transformers (the model export) start once it succeeds",
    )
    scheduler: bool = Field(
        default=True, description="take part in the leader election and run the scheduler"
    )
    ingestion_schedule: Annotated[bool | tuple[str, ...], NoDecode] = Field(
        default=True,
        description="which ingested datastores' cron triggers start their ingestion: `true` "
        "(all), `false` (none), or datastore names, comma-separated (`ReferenceData,Orders`); "
        "the embedded example defaults it to `ReferenceData`, the one whose source it creates",
    )
    source_hosts: dict[str, Annotated[str, Field(pattern=r"^[^\s:]+(:[0-9]{1,5})?$")]] = Field(
        default_factory=dict,
        description="where data ingestion reaches a source host of the model, as JSON "
        '{"model host": "host:port"} (a tunnel, a copy; a host starting with / is a socket '
        "directory); the embedded example maps acme's ReferenceData source to its own server",
    )
    leader_retry_seconds: float = Field(
        default=2.0,
        gt=0,
        description="how often a replica that is not the leader tries to become it (at most a"
        " quarter of `failover_seconds`)",
    )
    failover_seconds: float = Field(
        default=30.0,
        ge=5,
        le=3600,
        description="the longest the scheduler may be without a leader when the leader's node or"
        " network is lost without closing its connection: the leader's lock connection is pinged"
        " and the server ends it when the pings stop (docs/deploy.md, Failover)",
    )
    notify: str | None = Field(
        default=None,
        description='where events are sent, as JSON: [{"url": ..., "types": ["run.*"], "format":'
        ' "cloudevents"|"slack", "secretEnv": "VARIABLE_WITH_ITS_HMAC_SECRET"}] (docs/events.md)',
    )
    openlineage_url: str | None = Field(
        default=None,
        description="an OpenLineage endpoint (Marquez: http://host:5000/api/v1/lineage) that gets"
        " the START, COMPLETE and FAIL run events of transformer and ingestion runs"
        " (docs/openlineage.md); unset: none are made",
    )
    event_max_attempts: int = Field(
        default=10, ge=1, le=100, description="attempts of a delivery before it is dead"
    )
    event_backoff_seconds: float = Field(
        default=2.0,
        gt=0,
        description="the wait before a delivery's second attempt; doubled each time (with jitter,"
        " at most an hour)",
    )
    event_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="how long a receiver may take to answer a delivery"
    )
    event_retention_days: float = Field(
        default=14, gt=0, description="events older than this are deleted, unless still pending"
    )
    reconcile_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often the leader checks running runs against the runner",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="the OpenID Connect issuer whose bearer JWTs the API accepts (exactly its"
        " `iss`; its keys are found through `<issuer>/.well-known/openid-configuration`);"
        " unset: no sign-in with OIDC",
    )
    oidc_audience: str | None = Field(
        default=None,
        description="the `aud` a token must carry (the client id or API identifier registered at"
        " the issuer); required with ECOPLANE_OIDC_ISSUER",
    )
    oidc_scopes_claim: str = Field(
        default="scope",
        pattern=CLAIM_PATH,
        description="the claim whose values give scopes: a space-separated string or a list; a"
        " dotted path reads a nested claim (`realm_access.roles`) unless a claim has that name",
    )
    oidc_scope_map: dict[str, Scope] = Field(
        default_factory=dict,
        description='the scope each value of the scopes claim gives, as JSON `{"claim value":'
        ' "read"|"operate"|"admin"}` (admin includes operate, operate read); required with'
        " ECOPLANE_OIDC_ISSUER",
    )
    oidc_teams_claim: str | None = Field(
        default=None,
        pattern=CLAIM_PATH,
        description="the claim listing a user's teams as `ZONE/TEAM` values; set, a user of no"
        " team may read but not operate (admins excepted); unset: no teams",
    )
    oidc_teams_prefix: str | None = Field(
        default=None,
        description="only values of the teams claim that start with this are teams (it is cut"
        " off before `ZONE/TEAM`), e.g. `/teams/` for Keycloak group paths; unset: every value",
    )
    oidc_name_claim: str = Field(
        default="sub",
        pattern=CLAIM_PATH,
        description="the claim that names a signed-in user, `oidc:<value>` in logs and runs"
        " (`preferred_username`, `email`)",
    )
    oidc_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        min_length=1,
        description="the signature algorithms accepted, among RS*, PS*, ES* and EdDSA (never"
        " `none` or HS*)",
    )
    oidc_leeway_seconds: float = Field(
        default=30, ge=0, le=300, description="clock skew allowed on `exp`, `nbf` and `iat`"
    )
    oidc_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="how long a fetch of the issuer's discovery or keys may take",
    )
    oidc_jwks_cache_seconds: float = Field(
        default=3600, gt=0, description="how long the issuer's keys are kept before a fetch"
    )
    oidc_jwks_refetch_seconds: float = Field(
        default=10,
        gt=0,
        description="the least time between two fetches of the keys: a token with an unknown key"
        " id fetches them again (a rotation) at most this often, and so does an issuer that"
        " failed to answer",
    )

    @field_validator("ingestion_schedule", mode="before")
    @classmethod
    def _schedule_names(cls, value: Any) -> Any:
        """`true`, `false`, or comma-separated datastore names (an empty name is refused)."""
        booleans = ("true", "false", "1", "0", "yes", "no", "on", "off")  # as pydantic reads them
        if not isinstance(value, str) or value.strip().lower() in booleans:
            return value.strip() if isinstance(value, str) else value
        names = tuple(name.strip() for name in value.split(","))
        if not all(names):
            raise ValueError(f"an empty datastore name in {value!r} (true, false or names, a,b)")
        return names

    @field_validator("python_path", mode="before")
    @classmethod
    def _path_list(cls, value: Any) -> Any:
        """`a:b` as PYTHONPATH writes it, or a JSON list (as the service hands it to workers)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part for part in text.split(os.pathsep) if part]

    @model_validator(mode="after")
    def _failover_bound(self) -> Settings:
        """A standby must try often enough for the failover bound to hold."""
        if self.leader_retry_seconds > self.failover_seconds / 4:
            raise ValueError(
                f"ECOPLANE_LEADER_RETRY_SECONDS ({self.leader_retry_seconds:g}) must be at most a"
                f" quarter of ECOPLANE_FAILOVER_SECONDS ({self.failover_seconds:g}): a standby"
                " that tries less often cannot take over within the failover bound"
            )
        return self

    @model_validator(mode="after")
    def _forge_reachable(self) -> Settings:
        """Gitea has no public default: its API URL must be given."""
        if self.forge == "gitea" and not self.forge_api_url:
            raise ValueError(
                "ECOPLANE_FORGE=gitea needs ECOPLANE_FORGE_API_URL (e.g. https://gitea.example/api/v1)"
            )
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        """An issuer needs an audience, a scope map and asymmetric algorithms only."""
        if self.oidc_issuer is not None:
            check_oidc(self)
        return self

    @property
    def embedded(self) -> bool:
        """Whether ecoplane runs its own embedded PostgreSQL."""
        return not self.database_url

    @property
    def managed_marker(self) -> str:
        """The marker role of this installation: set, or derived from the role prefix."""
        return self.security_marker or f"{self.role_prefix}{MARKER_ROLE}"

    @property
    def reads_open(self) -> bool:
        """Whether anonymous callers may read."""
        return self.embedded if self.anonymous_read is None else self.anonymous_read

    @property
    def metrics_anonymous(self) -> bool:
        """Whether anonymous callers may read /metrics."""
        return self.reads_open if self.metrics_open is None else self.metrics_open
