"""The change list between two loaded models (the diff CLI and API)."""

from __future__ import annotations

from typing import Any

from app.ecosystem.changes import Change, ChangeKind, Differ, Impact, type_width
from app.ecosystem.coltypes import Width
from app.ecosystem.model import Datastore, Model
from app.ecosystem.spec.datastore import Column, Dataset
from app.ecosystem.spec.workspace import DatasetGroup, Sink

ADDED, REMOVED, CHANGED = ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED
ORDER = {Impact.BREAKING: 0, Impact.WARNING: 1, Impact.SAFE: 2}


def diff_models(old: Model, new: Model) -> list[Change]:
    """Every change from old to new, breaking ones first."""
    differ = Differ(old, new)
    _governance(differ)
    _stores(differ)
    _workspaces(differ)
    return sorted(differ.changes, key=lambda c: (ORDER[c.severity], c.path, c.rule))


def _names(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Names only in old, only in new, and in both."""
    return (sorted(set(old) - set(new)), sorted(set(new) - set(old)), sorted(set(old) & set(new)))


def _governance(d: Differ) -> None:
    removed, added, _ = _names(d.old.zones, d.new.zones)
    for name in removed:
        d.emit(REMOVED, f"GovernanceZone/{name}", "zone-removed", f"zone {name!r} removed")
    for name in added:
        d.emit(ADDED, f"GovernanceZone/{name}", "added", f"zone {name!r} added")
    for name in sorted(set(d.old.zones) & set(d.new.zones)):
        old, new = d.old.zones[name], d.new.zones[name]
        path = f"GovernanceZone/{name}"
        if old.spec and new.spec and old.spec.policies != new.spec.policies:
            d.emit(
                CHANGED, f"{path}/policies", "policy-changed", f"policies of zone {name!r} changed"
            )
        gone, came, _ = _names(old.teams, new.teams)
        for team in gone:
            d.emit(REMOVED, f"{path}/teams/{team}", "team-removed", f"team {team!r} removed")
        for team in came:
            d.emit(ADDED, f"{path}/teams/{team}", "added", f"team {team!r} added")
    gone_words = sorted(d.old.classifications - d.new.classifications)
    if gone_words:
        d.emit(
            REMOVED,
            "Ecosystem/classifications",
            "vocabulary-changed",
            f"classifications removed: {', '.join(gone_words)}",
        )
    removed, added, _ = _names(d.old.data_platforms, d.new.data_platforms)
    for name in removed:
        d.emit(
            REMOVED,
            f"Ecosystem/platforms/{name}",
            "platform-removed",
            f"data platform {name!r} removed",
        )
    for name in added:
        d.emit(ADDED, f"Ecosystem/platforms/{name}", "added", f"data platform {name!r} added")


def _stores(d: Differ) -> None:
    removed, added, both = _names(d.old.datastores, d.new.datastores)
    for name in removed:
        d.emit(
            REMOVED,
            f"Datastore/{name}",
            "datastore-removed",
            f"datastore {name!r} removed",
            (name, "*", None),
        )
    for name in added:
        d.emit(ADDED, f"Datastore/{name}", "added", f"datastore {name!r} added")
    for name in both:
        _store(d, d.old.datastores[name], d.new.datastores[name])


def _store(d: Differ, old: Datastore, new: Datastore) -> None:
    path, everyone = f"Datastore/{old.name}", (old.name, "*", None)
    if (old.zone, old.team) != (new.zone, new.team):
        d.emit(
            CHANGED,
            path,
            "owner-changed",
            f"owner moved from {old.zone}/{old.team} to {new.zone}/{new.team}",
            everyone,
        )
    if old.body.production_status != new.body.production_status:
        d.emit(
            CHANGED,
            path,
            "production-status-changed",
            f"production status {old.body.production_status} → {new.body.production_status}",
            everyone,
        )
    if old.body.deprecated != new.body.deprecated:
        rule = "deprecated" if new.body.deprecated else "undeprecated"
        d.emit(CHANGED, path, rule, f"datastore {rule}", everyone)
    if old.ingestion != new.ingestion:
        d.emit(CHANGED, f"{path}/ingestion", "ingestion-changed", "ingestion changed")
    # approvals are a set: their order, or one listed twice, grants nothing different
    if (old.body.approval_required, set(old.body.approvals)) != (
        new.body.approval_required,
        set(new.body.approvals),
    ):
        d.emit(CHANGED, f"{path}/approvals", "approval-changed", "approvals changed", everyone)
    _text_changes(d, path, (old.description, old.labels), (new.description, new.labels))
    removed, added, both = _names(old.datasets, new.datasets)
    for name in removed:
        d.emit(
            REMOVED,
            f"{path}/datasets/{name}",
            "dataset-removed",
            f"dataset {name!r} removed",
            (old.name, name, None),
        )
    for name in added:
        d.emit(ADDED, f"{path}/datasets/{name}", "added", f"dataset {name!r} added")
    for name in both:
        _dataset(d, old.name, old.datasets[name], new.datasets[name])


def _text_changes(
    d: Differ,
    path: str,
    old: tuple[str | None, dict[str, str]],
    new: tuple[str | None, dict[str, str]],
) -> None:
    if old[0] != new[0]:
        d.emit(CHANGED, path, "description-changed", "description changed")
    if old[1] != new[1]:
        d.emit(CHANGED, path, "labels-changed", "labels changed")


def _dataset(d: Differ, store: str, old: Dataset, new: Dataset) -> None:
    path, reach = f"Datastore/{store}/datasets/{old.name}", (store, old.name, None)
    old_key = [c.name for c in old.columns if c.primary_key]
    new_key = [c.name for c in new.columns if c.primary_key]
    if set(old_key) != set(new_key):  # the order of key columns does not change what a row is
        d.emit(
            CHANGED,
            path,
            "primary-key-changed",
            f"primary key ({', '.join(old_key)}) → ({', '.join(new_key)})",
            reach,
        )
    _classification_and_description(d, path, old, new, reach)
    if old.deprecated != new.deprecated:
        rule = "deprecated" if new.deprecated else "undeprecated"
        d.emit(CHANGED, path, rule, f"dataset {rule}", reach)
    if old.source_table != new.source_table:
        d.emit(CHANGED, f"{path}/sourceTable", "ingestion-changed", "source table changed", reach)
    old_columns, new_columns = {c.name: c for c in old.columns}, {c.name: c for c in new.columns}
    removed, added, both = _names(old_columns, new_columns)
    for name in removed:
        d.emit(
            REMOVED,
            f"{path}/columns/{name}",
            "column-removed",
            f"column {name!r} removed",
            (store, old.name, name),
        )
    for name in added:
        d.emit(ADDED, f"{path}/columns/{name}", "added", f"column {name!r} added")
    for name in both:
        _column(d, store, old.name, old_columns[name], new_columns[name])


def _column(d: Differ, store: str, dataset: str, old: Column, new: Column) -> None:
    path, reach = (
        f"Datastore/{store}/datasets/{dataset}/columns/{old.name}",
        (store, dataset, old.name),
    )
    width = type_width(old, new)
    if width is not Width.SAME and old.type != new.type:
        rule = "column-type-widened" if width is Width.WIDER else "column-type-narrowed"
        d.emit(CHANGED, path, rule, f"type {old.type} → {new.type}", reach)
    if old.is_nullable != new.is_nullable:
        rule = "column-made-nullable" if new.is_nullable else "column-made-not-null"
        d.emit(CHANGED, path, rule, "nullable" if new.is_nullable else "not null", reach)
    _classification_and_description(d, path, old, new, reach)


def _classification_and_description(
    d: Differ,
    path: str,
    old: Dataset | Column,
    new: Dataset | Column,
    reach: tuple[str, str, str | None],
) -> None:
    if set(old.classification) != set(new.classification):  # order carries no meaning
        d.emit(
            CHANGED,
            path,
            "classification-changed",
            f"classification {old.classification} → {new.classification}",
            reach,
        )
    if old.description != new.description:
        d.emit(CHANGED, path, "description-changed", "description changed")


def _workspaces(d: Differ) -> None:
    removed, added, both = _names(d.old.workspaces, d.new.workspaces)
    for name in removed:
        d.emit(REMOVED, f"Workspace/{name}", "workspace-removed", f"workspace {name!r} removed")
    for name in added:
        d.emit(ADDED, f"Workspace/{name}", "added", f"workspace {name!r} added")
    for name in both:
        old, new = d.old.workspaces[name].spec, d.new.workspaces[name].spec
        path = f"Workspace/{name}"
        if (old.production_status, old.priority) != (new.production_status, new.priority):
            d.emit(CHANGED, path, "workspace-changed", "production status or priority changed")
        old_groups = {g.name: g for g in old.dataset_groups}
        new_groups = {g.name: g for g in new.dataset_groups}
        gone, came, kept = _names(old_groups, new_groups)
        for group in gone:
            d.emit(
                REMOVED,
                f"{path}/datasetGroups/{group}",
                "dataset-group-removed",
                f"dataset group {group!r} removed",
            )
        for group in came:
            d.emit(
                ADDED, f"{path}/datasetGroups/{group}", "added", f"dataset group {group!r} added"
            )
        for group in kept:
            _group(d, f"{path}/datasetGroups/{group}", old_groups[group], new_groups[group])
        _transformer(d, path, old.transformer, new.transformer)


def _group(d: Differ, path: str, old: DatasetGroup, new: DatasetGroup) -> None:
    if (old.platform, old.requirements) != (new.platform, new.requirements):
        d.emit(
            CHANGED, path, "dataset-group-changed", "platform assignment or requirements changed"
        )
    old_sinks = {_sink_key(s): s for s in old.sinks}
    new_sinks = {_sink_key(s): s for s in new.sinks}
    for key in sorted(set(old_sinks) - set(new_sinks)):
        d.emit(REMOVED, f"{path}/sinks/{key}", "sink-removed", f"sink of {key} removed")
    for key in sorted(set(new_sinks) - set(old_sinks)):
        d.emit(ADDED, f"{path}/sinks/{key}", "added", f"sink of {key} added")
    for key in sorted(set(old_sinks) & set(new_sinks)):
        if old_sinks[key] != new_sinks[key]:
            d.emit(
                CHANGED,
                f"{path}/sinks/{key}",
                "sink-changed",
                f"sink of {key} changed (columns or allowDeprecated)",
            )


def _sink_key(sink: Sink) -> str:
    return f"{sink.datastore}.{sink.dataset}"


def _transformer(d: Differ, path: str, old: Any, new: Any) -> None:
    path = f"{path}/transformer"
    if old is not None and new is None:
        d.emit(REMOVED, path, "transformer-removed", f"transformer {old.name!r} removed")
    elif old is None and new is not None:
        d.emit(ADDED, path, "added", f"transformer {new.name!r} added")
    elif old is not None and new is not None:
        for aspect in ("name", "trigger", "code", "resources", "timeout_seconds", "retries"):
            if getattr(old, aspect) != getattr(new, aspect):
                d.emit(
                    CHANGED,
                    path,
                    "transformer-changed",
                    f"transformer {aspect.replace('_', ' ')} changed",
                )
