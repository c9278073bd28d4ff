"""Rules on datastores, their datasets and columns."""

from __future__ import annotations

from operator import attrgetter
from typing import NamedTuple

from app.ecosystem.coltypes import ACCEPTED_FORMS, ColumnTypeError, parse_type
from app.ecosystem.cron import CronError, parse_cron
from app.ecosystem.model import Datastore, Model
from app.ecosystem.names import (
    MAX_COLUMNS,
    MAX_KEY_COLUMNS,
    identifier_problem,
    system_column_problem,
)
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.datastore import Column, Dataset
from app.ecosystem.validate.governance import unknown_classification
from app.ecosystem.validate.ingestion import check_credentials, check_ingestion


def check(model: Model, problems: Problems) -> None:
    """Check every datastore, including transformer outputs."""
    clean: set[int] = set()  # the columns found without a problem of their own, by id
    for store in model.datastores.values():
        if store.builtin:
            continue
        name_at = (
            store.source.at("name")
            if store.producer
            else _document(store.source).at("metadata", "name")
        )
        identifier(store.name, name_at, store.path, problems)
        if store.producer is None and model.ecosystem is not None:
            _owner(model, store, problems)
        _store(model, store, problems, clean)
    check_credentials(model, problems)


def _document(source: Source) -> Source:
    return Source(source.file, source.document, source.pointer[:-1])


def identifier(name: str, source: Source, path: str, problems: Problems) -> None:
    """Report a name that cannot become an SQL identifier."""
    reason = identifier_problem(name)
    if reason:
        code = "reserved-name" if "reserved" in reason else "invalid-name"
        problems.error(code, reason, source, path)


def check_cron(expression: str, source: Source, path: str, problems: Problems) -> None:
    """Report a cron expression that does not parse."""
    try:
        parse_cron(expression)
    except CronError as error:
        problems.error("invalid-cron", f"cron {expression!r}: {error}", source, path)


def _owner(model: Model, store: Datastore, problems: Problems) -> None:
    doc = _document(store.source)
    zone = model.zones.get(store.zone)
    if zone is not None and zone.builtin:
        builtin_zone_used("datastore", store.name, doc.at("metadata", "zone"), store.path, problems)
    elif zone is None:
        problems.error(
            "unknown-zone",
            f"datastore {store.name!r} names zone {store.zone!r}, which the "
            "ecosystem does not declare",
            doc.at("metadata", "zone"),
            store.path,
        )
    elif model.team(store.zone, store.team) is None:
        problems.error(
            "unknown-team",
            f"datastore {store.name!r} names team {store.team!r}, which zone "
            f"{store.zone!r} does not declare",
            doc.at("metadata", "team"),
            store.path,
        )


def builtin_zone_used(kind: str, name: str, source: Source, path: str, problems: Problems) -> None:
    """Report a user's datastore or workspace placed in ecoplane's own zone."""
    problems.error(
        "builtin-zone-used",
        f"{kind} {name!r} is in zone 'ecoplane', which belongs to ecoplane itself; "
        "use a zone of your ecosystem",
        source,
        path,
    )


def _approvals(model: Model, store: Datastore, problems: Problems) -> None:
    for i, approval in enumerate(store.body.approvals):
        workspace = model.workspaces.get(approval.workspace)
        if workspace is None:
            missing = f"workspace {approval.workspace!r}"
        elif approval.dataset_group not in {g.name for g in workspace.spec.dataset_groups}:
            missing = (
                f"dataset group {approval.dataset_group!r} in workspace {approval.workspace!r}"
            )
        elif approval.dataset not in store.datasets:
            missing = f"dataset {approval.dataset!r} in datastore {store.name!r}"
        else:
            continue
        problems.warning(
            "approval-unknown-reference",
            f"approval names {missing}, which does not exist",
            store.source.at("approvals", i),
            f"{store.path}/approvals/{i}",
        )


def _store(model: Model, store: Datastore, problems: Problems, clean: set[int]) -> None:
    _approvals(model, store, problems)
    body = store.body
    if store.ingestion and store.ingestion.trigger and store.ingestion.trigger.cron is not None:
        check_cron(
            store.ingestion.trigger.cron,
            store.source.at("ingestion", "trigger", "cron"),
            f"{store.path}/ingestion/trigger",
            problems,
        )
    check_ingestion(store, problems)
    if body.deprecated and not body.deprecation_reason:
        problems.warning(
            "deprecation-reason-missing",
            f"datastore {store.name!r} is deprecated without a deprecationReason",
            store.source.at("deprecated"),
            store.path,
        )
    seen: dict[str, str] = {}
    production = store.production
    for i, dataset in enumerate(body.datasets):
        place = DatasetPlace(store, i, dataset.name)
        if identifier_problem(dataset.name):
            identifier(dataset.name, place.at("name"), place.path, problems)
        if dataset.name.lower() in seen:
            problems.error(
                "duplicate-name",
                f"dataset {dataset.name!r} appears more than once in datastore {store.name!r}",
                place.at("name"),
                place.path,
            )
        seen[dataset.name.lower()] = dataset.name
        _dataset(model, dataset, place, production, problems, clean)


class DatasetPlace(NamedTuple):
    """Where a dataset is; its source and path are only built when a problem is reported."""

    store: Datastore
    position: int  # in the datastore's datasets
    name: str

    def at(self, *steps: str | int) -> Source:
        """The source of the dataset, or of a node below it."""
        return self.store.source.at("datasets", self.position, *steps)

    @property
    def path(self) -> str:
        """The model path of the dataset."""
        return f"{self.store.path}/datasets/{self.name}"


_NAME, _PRIMARY_KEY = attrgetter("name"), attrgetter("primary_key")


def _dataset(
    model: Model,
    dataset: Dataset,
    place: DatasetPlace,
    production: bool,
    problems: Problems,
    clean: set[int],
) -> None:
    """The rules on one dataset. Each check has a fast form for the common case (nothing
    wrong): a large model has tens of thousands of datasets."""
    _classified(model, dataset.classification, place, ("classification",), "", problems)
    if dataset.deprecated and not dataset.deprecation_reason:
        problems.warning(
            "deprecation-reason-missing",
            f"dataset {dataset.name!r} is deprecated without a deprecationReason",
            place.at("deprecated"),
            place.path,
        )
    written = dataset.columns
    if not clean.issuperset(map(id, written)):  # a column object is shared by equal columns
        for i, column in enumerate(written):
            if id(column) not in clean and _column(model, column, i, place, problems):
                clean.add(id(column))
    if len(set(map(str.lower, map(_NAME, written)))) < len(written):
        _duplicate_columns(dataset, place, problems)
    if len(written) > MAX_KEY_COLUMNS:  # fewer cannot pass a limit
        _limits(dataset, place, problems)
    if not any(map(_PRIMARY_KEY, written)):
        problems.warning(
            "no-primary-key",
            f"dataset {dataset.name!r} has no primary key column",
            place.at("name"),
            place.path,
        )
    if production and not dataset.classification:
        _unclassified(place.store, dataset, place, problems)


def _unclassified(
    store: Datastore, dataset: Dataset, place: DatasetPlace, problems: Problems
) -> None:
    """Report a dataset of a production store with no classification, nor on every column."""
    unclassified = [c.name for c in dataset.columns if not c.classification]
    if unclassified or not dataset.columns:
        shown = ", ".join(unclassified[:5]) + (", ..." if len(unclassified) > 5 else "")
        columns = f", nor do its columns {shown}" if shown else " and no columns"
        problems.error(
            "missing-classification",
            f"dataset {dataset.name!r} of production datastore "
            f"{store.name!r} has no classification{columns}; classify the dataset or every column",
            place.at("name"),
            place.path,
        )


def _limits(dataset: Dataset, place: DatasetPlace, problems: Problems) -> None:
    """Report a dataset whose table PostgreSQL would refuse: too many columns or key columns."""
    keys = sum(1 for c in dataset.columns if c.primary_key)
    for count, limit, what in (
        (len(dataset.columns), MAX_COLUMNS, "columns"),
        (keys, MAX_KEY_COLUMNS, "primary key columns"),
    ):
        if count > limit:
            problems.error(
                "too-many-columns",
                f"dataset {dataset.name!r} has {count} {what}; a PostgreSQL table has at most "
                f"{limit}",
                place.at("name"),
                place.path,
            )


def _duplicate_columns(dataset: Dataset, place: DatasetPlace, problems: Problems) -> None:
    seen: set[str] = set()
    for index, column in enumerate(dataset.columns):
        name = column.name.lower()
        if name in seen:
            problems.error(
                "duplicate-name",
                f"column {column.name!r} appears more than once in dataset {dataset.name!r}",
                place.at("columns", index, "name"),
                f"{place.path}/columns/{column.name}",
            )
        seen.add(name)


def _column(
    model: Model, column: Column, index: int, place: DatasetPlace, problems: Problems
) -> bool:
    """The rules on one column on its own; whether it has no problem (then an equal column
    need not be checked again). The common case builds no source or path."""
    reported = len(problems.items)
    if identifier_problem(column.name):
        identifier(
            column.name,
            place.at("columns", index, "name"),
            f"{place.path}/columns/{column.name}",
            problems,
        )
    elif reason := system_column_problem(column.name):
        problems.error(
            "system-column-name",
            reason,
            place.at("columns", index, "name"),
            f"{place.path}/columns/{column.name}",
        )
    try:
        parse_type(column.type)
    except ColumnTypeError as error:
        problems.error(
            "invalid-column-type",
            f"column {column.name!r} has type {column.type!r}, which does not parse ({error});"
            f" accepted: {ACCEPTED_FORMS}",
            place.at("columns", index, "type"),
            f"{place.path}/columns/{column.name}",
        )
    if column.primary_key and column.is_nullable:
        problems.error(
            "nullable-primary-key",
            f"column {column.name!r} is part of the primary key and cannot be nullable",
            place.at("columns", index, "nullable"),
            f"{place.path}/columns/{column.name}",
        )
    steps = ("columns", index, "classification")
    _classified(model, column.classification, place, steps, f"/columns/{column.name}", problems)
    return len(problems.items) == reported


def _classified(
    model: Model,
    names: list[str],
    place: DatasetPlace,
    steps: tuple[str | int, ...],
    below: str,
    problems: Problems,
) -> None:
    """Report the classifications the ecosystem does not declare (at `steps` below the
    dataset, `below` its path); none are checked without an ecosystem."""
    vocabulary = model.classifications
    if model.ecosystem is None or vocabulary.issuperset(names):
        return
    for i, name in enumerate(names):
        if name not in vocabulary:
            problems.error(
                "unknown-classification",
                unknown_classification(model, name),
                place.at(*steps, i),
                f"{place.path}{below}",
            )
