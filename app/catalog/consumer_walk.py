"""The consumers of a datastore, walked on a version's graph one degree at a time.

Degree 1 reads the datastore directly; degree n+1 reads the output of a transformer of degree n.
A page walks only the degrees it shows (app/catalog/lineage.py asks for limit+1 rows).
"""

from __future__ import annotations

from typing import Any

from app.catalog.version_graph import VersionGraph


def consumers_of(
    built: VersionGraph, datastore: str, after: tuple[int, str] | None, wanted: int
) -> list[dict[str, Any]]:
    """The first `wanted` workspaces reading a datastore after (degree, name) `after`, by degree
    and name: the walk stops at the first degree by whose end enough were found, since every
    workspace found later has a higher degree (a page costs what it shows, not the whole
    closure of thousands of workspaces behind a much-read datastore)."""
    nearest, datasets = _nearest(built, datastore, after, wanted)
    rows = sorted(
        (degree, workspace, via, store) for workspace, (degree, via, store) in nearest.items()
    )
    if after is not None:
        rows = [row for row in rows if (row[0], row[1]) > after]
    return [
        {
            "workspace": workspace,
            "degree": degree,
            "zone": built.owner.get(workspace, ("", ""))[0],
            "team": built.owner.get(workspace, ("", ""))[1],
            "datastore": store,
            "via": via,
            "datasets": sorted(set(datasets[(store, workspace)])),
        }
        for degree, workspace, via, store in rows[:wanted]
    ]


def _nearest(
    built: VersionGraph, datastore: str, after: tuple[int, str] | None, wanted: int
) -> tuple[dict[str, tuple[int, list[str], str]], dict[tuple[str, str], list[str]]]:
    """Workspaces reading a datastore: degree 1 directly, +1 through each transformer, up to
    the end of the degree that completes `wanted` after `after`; and what each one sinks.

    Each gets its lowest degree and, among chains of that degree, the first by (chain, store).
    An output already reached is not followed again, so cycles end the walk.
    """
    nearest: dict[str, tuple[int, list[str], str]] = {}
    datasets: dict[tuple[str, str], list[str]] = {}  # (store, workspace) -> what it sinks
    reached: dict[str, list[str]] = {datastore: []}  # store -> the chain that reached it
    seen = {datastore}
    degree = 1
    while reached:
        readers = {store: built.readers_of(store) for store in reached}
        for store, via in reached.items():
            for workspace, sunk in readers[store].items():
                datasets[(store, workspace)] = sunk
                best = nearest.get(workspace)
                if best is None or (degree, via, store) < best:
                    nearest[workspace] = (degree, via, store)
        found = (
            len(nearest)
            if after is None
            else sum((d, w) > after for w, (d, _, _) in nearest.items())
        )
        if found >= wanted:
            break  # this degree is complete, and every later one comes after it
        following: dict[str, list[str]] = {}
        for store, via in reached.items():
            for workspace in readers[store]:
                transformer = built.transformer_of.get(workspace)
                output = built.output_of.get(transformer or "")
                if output is not None and output not in seen:
                    chain = [*via, transformer or ""]
                    if output not in following or chain < following[output]:
                        following[output] = chain
        seen.update(following)
        reached, degree = following, degree + 1
    return nearest, datasets
