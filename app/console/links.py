"""Where the console shows an entity: one place that turns (kind, name) into a page's URL."""

from __future__ import annotations

from urllib.parse import quote


def _part(text: str) -> str:
    return quote(text, safe="")


def entity_url(kind: str, name: str, owner: str | None = None) -> str:
    """The console page of an entity; `owner` is a dataset's datastore, a column's
    `Store.dataset`, or a team's zone. A dataset may also be named `Store.dataset`."""
    if kind == "dataset" and owner is None:
        owner, _, name = name.partition(".")
    if kind == "column" and owner is not None:
        store, _, dataset = owner.partition(".")
        return f"/ui/datastores/{_part(store)}/datasets/{_part(dataset)}#column-{_part(name)}"
    paths = {
        "datastore": f"/ui/datastores/{_part(name)}",
        "dataset": f"/ui/datastores/{_part(owner or '')}/datasets/{_part(name)}",
        "workspace": f"/ui/workspaces/{_part(name)}",
        "transformer": f"/ui/transformers/{_part(name)}",
        "team": f"/ui/zones/{_part(owner or '')}/teams/{_part(name)}",
        "zone": f"/ui/zones/{_part(name)}",
    }
    return paths[kind]
