"""The Workspace document: dataset groups of sinks and an optional transformer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from app.ecosystem.spec.base import ProductionStatus, Spec
from app.ecosystem.spec.datastore import StoreBody
from app.ecosystem.spec.governance import Latency, Retention


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"


class PlatformStatus(StrEnum):
    REQUESTED = "requested"
    PROVISIONING = "provisioning"
    PROVISIONED = "provisioned"
    DECOMMISSIONED = "decommissioned"


class PlatformAssignment(Spec):
    """The data platform chosen for a dataset group."""

    name: str
    status: PlatformStatus = PlatformStatus.REQUESTED


class Requirements(Spec):
    """What a dataset group needs of a platform when it does not name one."""

    retention: Retention | None = None
    latency: Latency | None = None


class Sink(Spec):
    """A reference to one dataset of a datastore, optionally to some of its columns."""

    datastore: str
    dataset: str
    columns: list[str] | None = None
    allow_deprecated: bool = False
    history: bool = False  # a forensic dataset: also a view of every version (`<view>__history`)


class DatasetGroup(Spec):
    """Sinks served by one data platform."""

    name: str
    platform: PlatformAssignment | None = None
    requirements: Requirements | None = None
    sinks: list[Sink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _platform_or_requirements(self) -> DatasetGroup:
        if (self.platform is None) == (self.requirements is None):
            raise ValueError("give exactly one of 'platform' or 'requirements'")
        return self


class Trigger(Spec):
    """When a transformer runs: cron, on input change, on model change, or external."""

    cron: str | None = None
    on_input_change: bool | None = None
    on_model_change: bool | None = None
    external: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        chosen = [self.cron is not None, bool(self.on_input_change)]
        chosen += [bool(self.on_model_change), bool(self.external)]
        if sum(chosen) != 1:
            raise ValueError(
                "give exactly one of 'cron', 'onInputChange: true', 'onModelChange: true' or 'external: true'"
            )
        return self

    @property
    def kind(self) -> str:
        """The trigger's kind as a word: cron, on-input-change, on-model-change or external."""
        if self.cron is not None:
            return "cron"
        if self.on_input_change:
            return "on-input-change"
        return "on-model-change" if self.on_model_change else "external"


class ContainerCode(Spec):
    """A container image to run."""

    image: str
    command: list[str] = Field(default_factory=list)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


class PythonCode(Spec):
    """A Python module run with the service's interpreter."""

    module: str


class Code(Spec):
    """What a transformer runs: a container, a Python module or a builtin."""

    container: ContainerCode | None = None
    python: PythonCode | None = None
    builtin: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Code:
        if sum(x is not None for x in (self.container, self.python, self.builtin)) != 1:
            raise ValueError("give exactly one of 'container', 'python' or 'builtin'")
        return self

    @property
    def kind(self) -> str:
        """container, python or builtin."""
        if self.container is not None:
            return "container"
        return "python" if self.python is not None else "builtin"


class Resources(Spec):
    """CPU and memory of a transformer run, in Kubernetes quantities."""

    cpu: str | None = None
    memory: str | None = None


class TransformerOutput(StoreBody):
    """The datastore a transformer writes, declared inline."""

    name: str
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class TransformerSpec(Spec):
    """Code that reads its workspace and writes an output datastore."""

    name: str
    description: str | None = None
    trigger: Trigger
    code: Code
    resources: Resources = Field(default_factory=Resources)
    timeout_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    retries: int = Field(default=0, ge=0, le=10)
    output: TransformerOutput


class WorkspaceSpec(Spec):
    """A consumer's view of data."""

    production_status: ProductionStatus = ProductionStatus.NOT_PRODUCTION
    priority: Priority = Priority.UNKNOWN
    dataset_groups: list[DatasetGroup] = Field(default_factory=list)
    transformer: TransformerSpec | None = None
