"""Rules on a datastore's datasets and their columns (the datastore's own: validate/stores.py)."""

from __future__ import annotations

from operator import attrgetter
from typing import NamedTuple

from app.ecosystem.coltypes import ACCEPTED_FORMS, ColumnTypeError, parse_type
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
from app.ecosystem.validate.identifiers import identifier


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


def check_dataset(
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
