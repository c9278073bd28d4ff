"""Response bodies of zones, teams, workspaces and transformers (camelCase, like the model)."""

from __future__ import annotations

from pydantic import Field

from app.api.schemas.common import Body
from app.api.schemas.runs import RunOut

BUILTIN = "true for what ecoplane adds to every model"


class ConsumerPolicy(Body):
    """What a zone's workspaces may sink."""

    deny_classifications: list[str] = Field(
        description="classifications the zone's workspaces may not sink", examples=[["pc3", "mnpi"]]
    )


class StoragePolicy(Body):
    """Where a zone's data may be stored."""

    vendors: list[str] = Field(
        description="vendors the data may be stored with", examples=[["Azure"]]
    )
    locations: list[str] = Field(
        description="'Vendor:path' locations the data may be stored in",
        examples=[["Azure:westeurope", "AWS:eu-west-1"]],
    )


class ZonePolicies(Body):
    """A zone's policies, as written in its GovernanceZone document."""

    consumers: ConsumerPolicy
    storage: StoragePolicy


class ZoneBase(Body):
    """What every zone answer says."""

    name: str = Field(examples=["EU"])
    description: str | None = None
    owners: list[str] = Field(
        examples=[["github:@acme/eu-dpo-office", "email:jonas.weber@acme.example"]]
    )
    builtin: bool = Field(description=BUILTIN)
    policies: ZonePolicies


class ZoneSummary(ZoneBase):
    """A zone in a list, with its teams' names."""

    teams: list[str] = Field(
        description="the names of its teams", examples=[["Analytics", "Marketing"]]
    )


class ZonePage(Body):
    """A page of zones."""

    items: list[ZoneSummary]
    next_cursor: str | None = Field(description="null on the last page")


class TeamBrief(Body):
    """A team of a zone."""

    name: str = Field(examples=["Analytics"])
    description: str | None = None
    owners: list[str] = Field(examples=[["github:@acme/eu-analytics", "github:mateo-rossi"]])
    builtin: bool = Field(description=BUILTIN)


class ZoneOut(ZoneBase):
    """A zone with its policies and teams."""

    teams: list[TeamBrief]


class TeamBase(TeamBrief):
    """What every team answer says: a team and its zone."""

    zone: str = Field(examples=["EU"])


class TeamSummary(TeamBase):
    """A team in a list, with how much it owns."""

    datastores: int = Field(description="how many datastores it owns")
    workspaces: int = Field(description="how many workspaces it owns")


class TeamPage(Body):
    """A page of teams, by zone and name."""

    items: list[TeamSummary]
    next_cursor: str | None = Field(description="null on the last page")


class TeamOut(TeamBase):
    """A team with the names of the datastores and workspaces it owns."""

    datastores: list[str] = Field(examples=[["CustomerSegments", "Experiments"]])
    workspaces: list[str] = Field(examples=[["CustomerSegmentation", "ExperimentLab"]])


class WorkspaceBase(Body):
    """What every workspace answer says."""

    name: str = Field(examples=["CustomerSegmentation"])
    zone: str = Field(examples=["EU"])
    team: str = Field(examples=["Analytics"])
    description: str | None = None
    production_status: str = Field(
        examples=["production"], description="production or not-production"
    )
    priority: str = Field(examples=["medium"], description="critical, high, medium, low or unknown")
    transformer: str | None = Field(
        default=None, examples=["segment_customers"], description="its transformer; null if none"
    )
    labels: dict[str, str] = Field(default_factory=dict)
    builtin: bool = Field(description=BUILTIN)


class WorkspaceSummary(WorkspaceBase):
    """A workspace in a list."""

    dataset_groups: int = Field(description="how many dataset groups it has")
    sinks: int = Field(description="how many sinks its dataset groups have together")


class WorkspacePage(Body):
    """A page of workspaces."""

    items: list[WorkspaceSummary]
    next_cursor: str | None = Field(description="null on the last page")


class PlatformAssignmentOut(Body):
    """The data platform assigned to a dataset group."""

    name: str = Field(examples=["EuWarehouseLive"])
    status: str = Field(
        examples=["provisioned"],
        description="requested, provisioning, provisioned or decommissioned",
    )


class RequirementsOut(Body):
    """What a dataset group needs of a platform, when it names none."""

    retention: str | None = Field(
        default=None, examples=["live-only"], description="live-only or forensic"
    )
    latency: str | None = Field(
        default=None, examples=["seconds"], description="seconds, minutes, hours or days"
    )


class SinkOut(Body):
    """A workspace's reference to one dataset of a datastore."""

    datastore: str = Field(examples=["Cardholders"])
    dataset: str = Field(examples=["cardholders"])
    columns: list[str] | None = Field(
        default=None, examples=[["cardholder_id", "country_code"]], description="null: every column"
    )
    allow_deprecated: bool = Field(description="whether a deprecated dataset is accepted")
    history: bool = Field(
        default=False,
        description="a forensic dataset: the workspace also gets a view of every version",
    )


class DatasetGroupOut(Body):
    """Sinks served by one data platform: assigned (`platform`) or chosen by `requirements`."""

    name: str = Field(examples=["behaviour"])
    platform: PlatformAssignmentOut | None = Field(
        default=None, description="null: see requirements"
    )
    requirements: RequirementsOut | None = Field(default=None, description="null: see platform")
    sinks: list[SinkOut]


class WorkspaceOut(WorkspaceBase):
    """A workspace with its dataset groups and their sinks."""

    dataset_groups: list[DatasetGroupOut]


class ResourcesOut(Body):
    """CPU and memory requested for a run, in Kubernetes quantities."""

    cpu: str | None = Field(default=None, examples=["500m"])
    memory: str | None = Field(default=None, examples=["1Gi"])


class TransformerSummary(Body):
    """A transformer in a list."""

    name: str = Field(examples=["segment_customers"])
    workspace: str = Field(examples=["CustomerSegmentation"], description="the workspace it reads")
    zone: str = Field(examples=["EU"], description="its workspace's zone")
    team: str = Field(examples=["Analytics"], description="its workspace's team")
    description: str | None = None
    trigger_kind: str = Field(
        examples=["cron"], description="cron, on-input-change, on-model-change or external"
    )
    trigger_cron: str | None = Field(default=None, examples=["0 4 * * 0"])
    code_kind: str = Field(examples=["container"], description="container, python or builtin")
    output_datastore: str = Field(
        examples=["CustomerSegments"], description="the datastore it writes"
    )
    builtin: bool = Field(description=BUILTIN)


class TransformerPage(Body):
    """A page of transformers."""

    items: list[TransformerSummary]
    next_cursor: str | None = Field(description="null on the last page")


class TransformerOut(TransformerSummary):
    """A transformer with its code, resources and limits."""

    image: str | None = Field(
        default=None, examples=["ghcr.io/acme/segmentation:1.2.0"], description="for container code"
    )
    module: str | None = Field(
        default=None, examples=["acme_transformers.revenue"], description="for python code"
    )
    builtin_code: str | None = Field(
        default=None, examples=["externalize-model"], description="for builtin code"
    )
    resources: ResourcesOut
    timeout_seconds: int = Field(examples=[7200], description="how long a run may take")
    retries: int = Field(examples=[0], description="how often a failed run is retried")
    last_run: RunOut | None = Field(
        default=None, description="its latest run; null before the first"
    )
