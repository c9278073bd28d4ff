"""Rules on sinks: what they reference and whether the zone's policies allow it."""

from __future__ import annotations

from app.ecosystem.model import Datastore, Model, Workspace
from app.ecosystem.problems import Problems, Severity, Source
from app.ecosystem.spec.datastore import Dataset
from app.ecosystem.spec.workspace import Sink


def check(model: Model, problems: Problems) -> None:
    """Check every sink of every workspace."""
    for workspace in model.workspaces.values():
        if workspace.builtin:
            continue
        zone = model.zones.get(workspace.zone)
        denied = frozenset(zone.spec.policies.consumers.deny_classifications) if zone and zone.spec else frozenset()
        for i, group in enumerate(workspace.spec.dataset_groups):
            for j, sink in enumerate(group.sinks):
                at = workspace.source.at("spec", "datasetGroups", i, "sinks", j)
                path = f"{workspace.path}/datasetGroups/{group.name}/sinks/{j}"
                _sink(model, workspace, group.name, sink, denied, at, path, problems)


def _sink(model: Model, workspace: Workspace, group: str, sink: Sink, denied: frozenset[str], at: Source,
          path: str, problems: Problems) -> None:
    store = model.datastores.get(sink.datastore)
    if store is None:
        if ("Datastore", sink.datastore) in model.broken:
            return  # its document is invalid and already reported
        problems.error("sink-unknown-datastore", f"sink names datastore {sink.datastore!r}, which does not "
                       "exist", at.at("datastore"), path)
        return
    dataset = store.datasets.get(sink.dataset)
    if dataset is None:
        known = ", ".join(sorted(store.datasets)) or "(none)"
        problems.error("sink-unknown-dataset", f"datastore {store.name!r} has no dataset {sink.dataset!r}; it "
                       f"has: {known}", at.at("dataset"), path)
        return
    columns = {c.name: c for c in dataset.columns}
    for k, name in enumerate(sink.columns or ()):
        if name not in columns:
            problems.error("sink-unknown-column", f"dataset {store.name}.{dataset.name} has no column "
                           f"{name!r}", at.at("columns", k), path)
    _denied(workspace, store, dataset, sink, denied, at, path, problems)
    _deprecated(store, dataset, sink, at, path, problems)
    if store.body.approval_required and not any(
        a.workspace == workspace.name and a.dataset_group == group and a.dataset == dataset.name
        for a in store.body.approvals
    ):
        problems.error("approval-missing", f"datastore {store.name!r} requires approval and has none for "
                       f"workspace {workspace.name!r}, dataset group {group!r}, dataset {dataset.name!r}",
                       at, path)
    if workspace.production and not store.production:
        problems.warning("production-sinks-non-production", f"production workspace {workspace.name!r} sinks "
                         f"non-production datastore {store.name!r}", at.at("datastore"), path)


def _denied(workspace: Workspace, store: Datastore, dataset: Dataset, sink: Sink, denied: frozenset[str],
            at: Source, path: str, problems: Problems) -> None:
    if not denied:
        return
    hits = [f"dataset {dataset.name!r} ({c})" for c in dataset.classification if c in denied]
    chosen = set(sink.columns) if sink.columns is not None else None
    for column in dataset.columns:
        if chosen is None or column.name in chosen:
            hits += [f"column {column.name!r} ({c})" for c in column.classification if c in denied]
    if hits:
        problems.error("classification-denied", f"zone {workspace.zone!r} denies its workspaces "
                       f"{', '.join(sorted(denied))}; sink of {store.name}.{dataset.name} exposes "
                       f"{', '.join(hits)}", at, path)


def _deprecated(store: Datastore, dataset: Dataset, sink: Sink, at: Source, path: str,
                problems: Problems) -> None:
    what = f"datastore {store.name!r}" if store.body.deprecated else None
    if dataset.deprecated:
        what = f"dataset {store.name}.{dataset.name}"
    if what is None:
        return
    reason = dataset.deprecation_reason or store.body.deprecation_reason
    because = f" ({reason})" if reason else ""
    if sink.allow_deprecated:
        problems.add(Severity.WARNING, "sink-deprecated", f"sink uses deprecated {what}{because}", at, path)
    else:
        problems.error("sink-deprecated", f"sink uses deprecated {what}{because}; set allowDeprecated: true "
                       "to accept it", at, path)
