"""Lineage and consumers: who reads what, directly and through transformers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.deps import Read
from app.api.json import Json
from app.api.paging import Cursor, Limit, decode_cursor, page
from app.api.schemas.lineage import ConsumerPage, LineageOut
from app.api.version_answers import version_answer
from app.catalog.lineage import DEPTH_CAP, consumers, lineage, parse_node
from app.ecosystem.graph import Direction
from app.errors import InvalidParameterError

router = APIRouter(tags=["lineage"])


def _consumer_after(cursor: str | None) -> tuple[int, str] | None:
    """The (degree, workspace) a consumers cursor continues after."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    match key:
        case [int(degree), str(workspace)] if not isinstance(degree, bool):
            return degree, workspace
    raise InvalidParameterError("cursor", "cursor does not belong to this list")


@router.get(
    "/datastores/{name}/consumers",
    summary="The workspaces consuming a datastore",
    response_model=ConsumerPage,
)
@version_answer
async def datastore_consumers(
    read: Read,
    name: Annotated[str, Path(max_length=200, description="the datastore's name (case-sensitive)")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Workspaces sinking the datastore (degree 1) or a transformer output fed by it (2, 3, ...)."""
    after = _consumer_after(cursor)
    rows = await consumers(read.graphs, read.pool, read.version.id, name, after, limit)
    return Json(page(rows, limit, "degree", "workspace", version=read.version.id))


@router.get("/lineage", summary="The lineage graph around a node", response_model=LineageOut)
@version_answer
async def lineage_graph(
    read: Read,
    node: Annotated[
        str,
        Query(
            max_length=300,
            description="`<kind>:<name>`, kind datastore, dataset, workspace or transformer;"
            " a dataset is `dataset:Store.dataset`",
            examples=["datastore:Positions"],
        ),
    ],
    direction: Annotated[
        Direction, Query(description="follow the data downstream, upstream, or both")
    ] = Direction.BOTH,
    depth: Annotated[
        int,
        Query(
            ge=1, description=f"hops to walk, at least 1; more than {DEPTH_CAP} walks {DEPTH_CAP}"
        ),
    ] = 1,
) -> Any:
    """Nodes and edges within `depth` hops; over the cap (10) it walks 10, saying `depthCapped`."""
    found = await lineage(
        read.graphs, read.pool, read.version.id, parse_node(node), direction, depth
    )
    return Json(found)
