"""Rules on datastores (their datasets' and columns': validate/datasets.py)."""

from __future__ import annotations

from app.ecosystem.cron import CronError, parse_cron
from app.ecosystem.model import Datastore, Model
from app.ecosystem.names import identifier_problem
from app.ecosystem.problems import Problems, Source
from app.ecosystem.validate.datasets import DatasetPlace, check_dataset
from app.ecosystem.validate.identifiers import identifier
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
        check_dataset(model, dataset, place, production, problems, clean)
