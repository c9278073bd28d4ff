"""Response bodies of the lineage routes: consumers of a datastore, and the lineage graph."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas.common import Body

NodeKind = Literal["datastore", "dataset", "workspace", "transformer"]
Relation = Literal["contains", "sunk-by", "input-of", "writes"]


class ConsumerOut(Body):
    """A workspace consuming a datastore, directly (degree 1) or through transformers."""

    workspace: str = Field(examples=["CapitalReporting"])
    degree: int = Field(
        ge=1, examples=[2], description="1 for a direct sink, one more per transformer in between"
    )
    zone: str
    team: str
    via: list[str] = Field(
        examples=[["compute_exposures"]],
        description="the transformers the data passes through, in order; empty when direct",
    )
    datastore: str = Field(
        examples=["RiskExposures"],
        description="the datastore the workspace reads at this hop (the queried one when direct)",
    )
    datasets: list[str] = Field(description="the datasets of that datastore the workspace sinks")


class ConsumerPage(Body):
    """A page of consumers, nearest first (by degree, then workspace)."""

    items: list[ConsumerOut]
    next_cursor: str | None = Field(description="null on the last page")


class LineageNodeOut(Body):
    """A node of the lineage graph."""

    id: str = Field(examples=["dataset:Positions.positions"])
    kind: NodeKind
    name: str = Field(examples=["Positions.positions"])


class LineageEdgeOut(Body):
    """A flow of data from one node to another."""

    source: str = Field(examples=["datastore:Positions"])
    target: str = Field(examples=["dataset:Positions.positions"])
    relation: Relation = Field(
        description="datastore contains dataset, dataset sunk-by workspace,"
        " workspace input-of transformer, transformer writes datastore"
    )


class LineageOut(Body):
    """The nodes and edges within `depth` hops of a node."""

    node: str = Field(examples=["datastore:Positions"], description="the node walked from")
    direction: Literal["upstream", "downstream", "both"]
    depth: int = Field(description="the hops walked: the asked depth, clamped to the cap")
    depth_capped: bool = Field(description="true when the asked depth was over the cap")
    nodes: list[LineageNodeOut]
    edges: list[LineageEdgeOut]
