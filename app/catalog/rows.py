"""A loaded model as rows of the model tables, in the column order of MODEL_TABLES and then
of the served columns (app/catalog/schema.py) (pure).

Rows come in primary-key order (names sorted by code point, like the tables' "C" collation):
a new version's keys are then all appended at the right edge of each index, the cheapest
insert a btree has (measured: a quarter faster for the columns table).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import orjson

from app.ecosystem.coltypes import ColumnTypeError, parse_type
from app.ecosystem.model import Model

Row = tuple[Any, ...]
Named = TypeVar("Named", bound=Any)
_third = itemgetter(2)


def _by_name(items: Iterable[Named]) -> list[Named]:
    """Items sorted by their name (code point order)."""
    return sorted(items, key=attrgetter("name"))


def _ecosystems(model: Model) -> Iterator[Row]:
    if model.ecosystem is not None:
        meta, spec = model.ecosystem.metadata, model.ecosystem.spec
        yield (meta.name, meta.description, list(spec.classifications), list(spec.owners))


def _vendors(model: Model) -> Iterator[Row]:
    for vendor in _by_name(model.vendors.values()):
        yield (vendor.name, vendor.cloud.value, vendor.description)


def _locations(model: Model) -> Iterator[Row]:
    for key, location in sorted(model.locations.items()):
        vendor, _, path = key.partition(":")
        parent = path.rpartition("/")[0] or None
        yield (vendor, path, location.name, parent, location.description)


def _platform_providers(model: Model) -> Iterator[Row]:
    for provider in _by_name(model.providers.values()):
        yield (provider.name, provider.description)


def _data_platforms(model: Model) -> Iterator[Row]:
    for name, platform in sorted(model.data_platforms.items()):
        provider = model.platform_providers[name]
        yield (
            name,
            provider,
            platform.retention.value,
            platform.latency.value,
            platform.description,
        )


def _zones(model: Model) -> Iterator[Row]:
    for zone in _by_name(model.zones.values()):
        owners = list(zone.declaration.owners) if zone.declaration else []
        policies = zone.spec.policies if zone.spec else None
        deny = list(policies.consumers.deny_classifications) if policies else []
        vendors = list(policies.storage.vendors) if policies else []
        locations = list(policies.storage.locations) if policies else []
        yield (zone.name, zone.description, owners, deny, vendors, locations, zone.builtin)


def _teams(model: Model) -> Iterator[Row]:
    for zone in _by_name(model.zones.values()):
        for team in _by_name(zone.teams.values()):
            yield (zone.name, team.name, team.description, list(team.owners), team.builtin)


def _datastores(model: Model) -> Iterator[Row]:
    for store in _by_name(model.datastores.values()):
        ingestion, body = store.ingestion, store.body
        trigger = ingestion.trigger if ingestion else None
        trigger_kind = (
            None if trigger is None else ("cron" if trigger.cron is not None else "external")
        )
        row = (
            store.name, store.zone, store.team, store.description, body.production_status.value,
            body.deprecated, body.deprecation_reason, ingestion.kind.value if ingestion else None,
            json.dumps(ingestion.source) if ingestion else None, ingestion.credential if ingestion else None,
            trigger_kind, trigger.cron if trigger else None, body.approval_required, store.producer,
            json.dumps(store.labels), store.builtin,
            ingestion.milestoning.value if ingestion else None,
            ingestion.watermark if ingestion else None,
        )  # fmt: skip
        yield (*row, _list_item(row, store.labels, len(body.datasets)))


# the API's names of a datastore row's values that its list item shows (DatastoreSummary)
LIST_ITEM_KEYS = (
    "name", "zone", "team", "description", "productionStatus", "deprecated", "deprecationReason",
    "ingestionKind", None, None, "triggerKind", "triggerCron", "approvalRequired", "producer",
    None, "builtin", None, None,
)  # fmt: skip


def _list_item(row: Row, labels: dict[str, str], datasets: int) -> str:
    """The served column list_item: the datastore as the API lists it, JSON text."""
    item: dict[str, Any] = {
        key: value for key, value in zip(LIST_ITEM_KEYS, row, strict=True) if key
    }
    item["labels"], item["datasets"] = labels, datasets
    try:
        return orjson.dumps(item).decode()
    except orjson.JSONEncodeError:  # a lone surrogate: COPY refuses it as it refuses the row's
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def _datasets(model: Model) -> Iterator[Row]:
    for store in _by_name(model.datastores.values()):
        for dataset in _by_name(store.body.datasets):
            key = [c.name for c in dataset.columns if c.primary_key]
            yield (
                store.name, dataset.name, dataset.description, list(dataset.classification),
                dataset.deprecated, dataset.deprecation_reason, key, dataset.source_table,
            )  # fmt: skip


@lru_cache(maxsize=4096)
def _canonical(type_text: str) -> str:
    try:
        return str(parse_type(type_text))
    except ColumnTypeError:
        return type_text


def _columns(model: Model) -> Iterator[Row]:
    # the hot loop (a third of a million rows for a large model): Column.is_nullable is inlined,
    # and an empty classification goes as null, since encoding empty arrays took a fifth of the time
    canonical = _canonical
    for store in _by_name(model.datastores.values()):
        name = store.name
        for dataset in _by_name(store.body.datasets):
            rows = []
            for ordinal, column in enumerate(dataset.columns, start=1):
                key = column.primary_key
                nullable = (not key) if column.nullable is None else column.nullable
                rows.append((
                    name, dataset.name, column.name, ordinal, canonical(column.type), nullable, key,
                    column.classification or None, column.description,
                ))  # fmt: skip
            rows.sort(key=_third)
            yield from rows


def _approvals(model: Model) -> Iterator[Row]:
    for store in _by_name(model.datastores.values()):
        # the same approval twice grants nothing more
        keys = {(store.name, a.workspace, a.dataset_group, a.dataset) for a in store.body.approvals}
        yield from sorted(keys)


def _workspaces(model: Model) -> Iterator[Row]:
    for workspace in _by_name(model.workspaces.values()):
        spec = workspace.spec
        transformer = spec.transformer.name if spec.transformer else None
        yield (
            workspace.name, workspace.zone, workspace.team, workspace.description,
            spec.production_status.value, spec.priority.value, transformer,
            json.dumps(workspace.labels), workspace.builtin,
        )  # fmt: skip


def _dataset_groups(model: Model) -> Iterator[Row]:
    for workspace in _by_name(model.workspaces.values()):
        for group in _by_name(workspace.spec.dataset_groups):
            platform, wanted = group.platform, group.requirements
            yield (
                workspace.name, group.name, platform.name if platform else None,
                platform.status.value if platform else None,
                wanted.retention.value if wanted and wanted.retention else None,
                wanted.latency.value if wanted and wanted.latency else None,
            )  # fmt: skip


def _sinks(model: Model) -> Iterator[Row]:
    for workspace in _by_name(model.workspaces.values()):
        for group in _by_name(workspace.spec.dataset_groups):
            for ordinal, sink in enumerate(group.sinks, start=1):
                columns = list(sink.columns) if sink.columns is not None else None
                yield (
                    workspace.name, group.name, ordinal, sink.datastore, sink.dataset, columns,
                    sink.allow_deprecated, sink.history,
                )  # fmt: skip


def _transformers(model: Model) -> Iterator[Row]:
    for transformer in _by_name(model.transformers.values()):
        spec = transformer.spec
        code, resources, container = spec.code, spec.resources, spec.code.container
        yield (
            transformer.name, transformer.workspace, spec.description, spec.trigger.kind, spec.trigger.cron,
            code.kind, container.image if container else None, container.command if container else None,
            container.args if container else None, json.dumps(container.env) if container else None,
            code.python.module if code.python else None, code.builtin, resources.cpu, resources.memory,
            spec.timeout_seconds, spec.retries, spec.output.name, transformer.builtin,
        )  # fmt: skip


def _problems(model: Model) -> Iterator[Row]:
    for ordinal, problem in enumerate(model.problems, start=1):
        yield (
            ordinal, problem.severity.value, problem.code, problem.message, problem.file,
            problem.line, problem.column, problem.path,
        )  # fmt: skip


ROWS: dict[str, Callable[[Model], Iterator[Row]]] = {
    "ecosystems": _ecosystems,
    "vendors": _vendors,
    "locations": _locations,
    "platform_providers": _platform_providers,
    "data_platforms": _data_platforms,
    "zones": _zones,
    "teams": _teams,
    "datastores": _datastores,
    "datasets": _datasets,
    "columns": _columns,
    "approvals": _approvals,
    "workspaces": _workspaces,
    "dataset_groups": _dataset_groups,
    "sinks": _sinks,
    "transformers": _transformers,
    "problems": _problems,
}
