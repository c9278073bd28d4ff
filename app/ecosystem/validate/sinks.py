"""Rules on sinks: what they reference and whether the zone's policies allow it."""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import NamedTuple

from app.ecosystem.model import Datastore, Model, Workspace
from app.ecosystem.problems import Problems, Severity, Source
from app.ecosystem.spec.datastore import RUNNABLE_KINDS, Dataset, Milestoning
from app.ecosystem.spec.workspace import Sink


def check(model: Model, problems: Problems) -> None:
    """Check every sink of every workspace."""
    checker = _SinkChecker(model, problems)
    for workspace in model.workspaces.values():
        if workspace.builtin:
            continue
        zone = model.zones.get(workspace.zone)
        denied = (
            frozenset(zone.spec.policies.consumers.deny_classifications)
            if zone and zone.spec
            else frozenset()
        )
        production = workspace.production
        for i, group in enumerate(workspace.spec.dataset_groups):
            for j, sink in enumerate(group.sinks):
                place = SinkPlace(workspace, i, group.name, j)
                checker.sink(workspace, place, sink, denied, production)


class SinkPlace(NamedTuple):
    """Where a sink is; its source and path are only built when a problem is reported."""

    workspace: Workspace
    group_index: int
    group: str
    sink_index: int

    def at(self, *steps: str | int) -> Source:
        """The source of the sink, or of a node below it."""
        return self.workspace.source.at(
            "spec", "datasetGroups", self.group_index, "sinks", self.sink_index, *steps
        )

    @property
    def path(self) -> str:
        """The model path of the sink."""
        return f"{self.workspace.path}/datasetGroups/{self.group}/sinks/{self.sink_index}"


_CLASSIFICATION = attrgetter("classification")


class _Sunk(NamedTuple):
    """What the sink rules ask of a dataset and its store, found once per dataset."""

    classes: frozenset[str]  # the dataset's classifications and its columns'
    deprecated: bool  # the dataset or its store
    approval_required: bool
    production: bool  # the store


class _SinkChecker:
    def __init__(self, model: Model, problems: Problems) -> None:
        self.model, self.problems = model, problems
        self.stores = model.datastores
        self.sunk: dict[int, _Sunk] = {}  # a dataset is sunk many times: by id, found once

    def sink(
        self,
        workspace: Workspace,
        place: SinkPlace,
        sink: Sink,
        denied: frozenset[str],
        production: bool,
    ) -> None:
        store = self.stores.get(sink.datastore)
        if store is None:
            self._unknown_store(sink, place)
            return
        dataset = store.datasets.get(sink.dataset)
        if dataset is None:
            known = ", ".join(sorted(store.datasets)) or "(none)"
            self.problems.error(
                "sink-unknown-dataset",
                f"datastore {store.name!r} has no dataset {sink.dataset!r}; it has: {known}",
                place.at("dataset"),
                place.path,
            )
            return
        sunk = self.sunk.get(id(dataset)) or self._sunk(store, dataset)
        if sink.columns is not None:
            _columns(store, dataset, sink, place, self.problems)
        if sink.history:
            _history(store, sink, place, self.problems)
        if denied and not denied.isdisjoint(sunk.classes):
            self._denied(workspace, store, dataset, sink, denied, place)
        if sunk.deprecated:
            _deprecated(store, dataset, sink, place, self.problems)
        if sunk.approval_required:
            _approval(workspace, store, dataset, place, self.problems)
        if production and not sunk.production:
            self.problems.warning(
                "production-sinks-non-production",
                f"production workspace {workspace.name!r} "
                f"sinks non-production datastore {store.name!r}",
                place.at("datastore"),
                place.path,
            )

    def _unknown_store(self, sink: Sink, place: SinkPlace) -> None:
        if ("Datastore", sink.datastore) not in self.model.broken:  # else already reported
            self.problems.error(
                "sink-unknown-datastore",
                f"sink names datastore {sink.datastore!r}, which does not exist",
                place.at("datastore"),
                place.path,
            )

    def _sunk(self, store: Datastore, dataset: Dataset) -> _Sunk:
        columns = chain.from_iterable(map(_CLASSIFICATION, dataset.columns))
        classes = frozenset(chain(dataset.classification, columns))
        found = _Sunk(
            classes,
            store.body.deprecated or dataset.deprecated,
            store.body.approval_required,
            store.production,
        )
        self.sunk[id(dataset)] = found
        return found

    def _denied(
        self,
        workspace: Workspace,
        store: Datastore,
        dataset: Dataset,
        sink: Sink,
        denied: frozenset[str],
        place: SinkPlace,
    ) -> None:
        hits = [f"dataset {dataset.name!r} ({c})" for c in dataset.classification if c in denied]
        chosen = set(sink.columns) if sink.columns is not None else None
        for column in dataset.columns:
            if chosen is None or column.name in chosen:
                hits += [
                    f"column {column.name!r} ({c})" for c in column.classification if c in denied
                ]
        if hits:
            self.problems.error(
                "classification-denied",
                f"zone {workspace.zone!r} denies its workspaces "
                f"{', '.join(sorted(denied))}; sink of {store.name}.{dataset.name} exposes "
                f"{', '.join(hits)}",
                place.at(),
                place.path,
            )


def _history(store: Datastore, sink: Sink, place: SinkPlace, problems: Problems) -> None:
    """`history: true` asks for every version: only a forensic ingested datastore keeps them."""
    ingestion = store.ingestion
    if (
        store.producer is None
        and ingestion is not None
        and ingestion.milestoning is Milestoning.FORENSIC
        and ingestion.kind in RUNNABLE_KINDS
    ):
        return
    if store.producer is not None or ingestion is None:
        why = f"a transformer writes datastore {store.name!r}"
    elif ingestion.kind not in RUNNABLE_KINDS:
        why = f"ecoplane does not run {ingestion.kind.value} ingestion of {store.name!r}"
    else:
        why = f"datastore {store.name!r} has milestoning {ingestion.milestoning.value}"
    problems.error(
        "sink-history-not-forensic",
        f"sink asks for the history of {store.name}.{sink.dataset}, but only a datastore with"
        f" ingestion.milestoning: forensic (sql-snapshot or sql-watermark) keeps one: {why}",
        place.at("history"),
        place.path,
    )


def _deprecated(
    store: Datastore, dataset: Dataset, sink: Sink, place: SinkPlace, problems: Problems
) -> None:
    what = (
        f"dataset {store.name}.{dataset.name}"
        if dataset.deprecated
        else f"datastore {store.name!r}"
    )
    reason = dataset.deprecation_reason or store.body.deprecation_reason
    because = f" ({reason})" if reason else ""
    if sink.allow_deprecated:
        problems.add(
            Severity.WARNING,
            "sink-deprecated",
            f"sink uses deprecated {what}{because}",
            place.at(),
            place.path,
        )
    else:
        problems.error(
            "sink-deprecated",
            f"sink uses deprecated {what}{because}; set allowDeprecated: true to accept it",
            place.at(),
            place.path,
        )


def _columns(
    store: Datastore, dataset: Dataset, sink: Sink, place: SinkPlace, problems: Problems
) -> None:
    """A sink's column list: not empty, and naming columns the dataset has."""
    if not sink.columns:
        problems.error(
            "sink-no-columns",
            "sink lists no columns; omit 'columns' to sink every column",
            place.at("columns"),
            place.path,
        )
        return
    columns = {c.name for c in dataset.columns}
    for k, name in enumerate(sink.columns):
        if name not in columns:
            problems.error(
                "sink-unknown-column",
                f"dataset {store.name}.{dataset.name} has no column {name!r}",
                place.at("columns", k),
                place.path,
            )


def _approval(
    workspace: Workspace, store: Datastore, dataset: Dataset, place: SinkPlace, problems: Problems
) -> None:
    """A sink on an approval-required datastore needs an approval naming it."""
    group = place.group
    if not any(
        a.workspace == workspace.name and a.dataset_group == group and a.dataset == dataset.name
        for a in store.body.approvals
    ):
        problems.error(
            "approval-missing",
            f"datastore {store.name!r} requires approval and has none for "
            f"workspace {workspace.name!r}, dataset group {group!r}, dataset {dataset.name!r}",
            place.at(),
            place.path,
        )
