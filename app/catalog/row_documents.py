"""Rows of the model tables back to model documents, written as a user would write them (pure).

The inverse of `app.catalog.rows`: `model_documents(rows)` takes every table's rows of one
version (as dicts by column name) and returns the user's documents as plain dicts, builtins
left out. What the tables do not store is absent; `app.catalog.rebuild` lists it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from operator import itemgetter
from typing import Any

Doc = dict[str, Any]
Rows = dict[str, list[Doc]]
API = "ecoplane.io/v1"
TRANSFORMER_TRIGGERS = {
    "on-input-change": {"onInputChange": True},
    "on-model-change": {"onModelChange": True},
    "external": {"external": True},
}


def model_documents(rows: Rows) -> list[Doc]:
    """The non-builtin documents of a stored version: Ecosystem, zones, teams, stores, workspaces."""
    documents = [_ecosystem(rows, ecosystem) for ecosystem in rows["ecosystems"]]
    documents += _zones(rows)
    stores, outputs = _stores(rows)
    written = set(outputs.values())
    documents += [store for name, store in stores.items() if name not in written]
    documents += _workspaces(rows, stores, outputs)
    return documents


@cache
def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _fields(row: Doc, *columns: str) -> Doc:
    """The row's non-null values of these columns, by their camelCase names in documents."""
    return {_camel(c): row[c] for c in columns if row[c] is not None}


def _renamed(row: Doc, **keys: str) -> Doc:
    """The row's non-null values of columns, by document key."""
    return {key: row[column] for key, column in keys.items() if row[column] is not None}


def _lists(row: Doc, **keys: str) -> Doc:
    """Array columns by document key; null (stored for empty) is an empty list."""
    return {key: row[column] or [] for key, column in keys.items()}


def _document(kind: str, metadata: Doc, spec: Doc) -> Doc:
    return {"apiVersion": API, "kind": kind, "metadata": metadata, "spec": spec}


def _owned(row: Doc) -> Doc:
    """Metadata of a datastore or workspace."""
    return _fields(row, "name", "zone", "team", "description") | {"labels": _labels(row["labels"])}


def _labels(value: object) -> dict[str, str]:
    """Labels from jsonb: decoded by a connection's codec already, or JSON text."""
    decoded = _json(value)
    return dict(decoded) if isinstance(decoded, dict) else {}


def _grouped(rows: Iterable[Doc], *keys: str) -> defaultdict[Any, list[Doc]]:
    """Rows by the values of some columns (one column: the value itself), order kept."""
    groups: defaultdict[Any, list[Doc]] = defaultdict(list)
    for row in rows:
        groups[row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)].append(row)
    return groups


def _ecosystem(rows: Rows, row: Doc) -> Doc:
    locations = _grouped(rows["locations"], "vendor", "parent_path")
    platforms = _grouped(rows["data_platforms"], "provider")
    vendors = [
        _fields(v, "name", "cloud", "description")
        | {"locations": _locations(locations, v["name"], None)}
        for v in rows["vendors"]
    ]
    providers = [_provider(p, platforms[p["name"]]) for p in rows["platform_providers"]]
    zones = [
        _fields(z, "name", "description") | _lists(z, owners="owners")
        for z in rows["zones"]
        if not z["builtin"]
    ]
    spec = _lists(row, owners="owners", classifications="classifications")
    spec |= {"vendors": vendors, "platforms": providers, "zones": zones}
    return _document("Ecosystem", _fields(row, "name", "description"), spec)


def _provider(row: Doc, platforms: list[Doc]) -> Doc:
    declared = [_fields(d, "name", "retention", "latency", "description") for d in platforms]
    return _fields(row, "name", "description") | {"dataPlatforms": declared}


def _locations(
    locations: defaultdict[Any, list[Doc]], vendor: str, parent: str | None
) -> list[Doc]:
    return [
        _fields(row, "name", "description")
        | {"locations": _locations(locations, vendor, row["path"])}
        for row in locations[(vendor, parent)]
    ]


def _zones(rows: Rows) -> list[Doc]:
    teams = _grouped((t for t in rows["teams"] if not t["builtin"]), "zone")
    documents: list[Doc] = []
    for zone in (z for z in rows["zones"] if not z["builtin"]):
        name = zone["name"]
        declared = [
            _fields(t, "name", "description") | _lists(t, owners="owners") for t in teams[name]
        ]
        policies = {
            "consumers": _lists(zone, denyClassifications="deny_classifications"),
            "storage": _lists(zone, vendors="storage_vendors", locations="storage_locations"),
        }
        metadata = _fields(zone, "name", "description")
        documents.append(
            _document("GovernanceZone", metadata, {"teams": declared, "policies": policies})
        )
        documents += [_document("Team", {"name": t["name"], "zone": name}, {}) for t in teams[name]]
    return documents


def _stores(rows: Rows) -> tuple[dict[str, Doc], dict[str, str]]:
    """Datastore documents by name, and the store each transformer writes."""
    columns = _grouped(rows["columns"], "datastore", "dataset")
    datasets = _grouped(rows["datasets"], "datastore")
    approvals = _grouped(rows["approvals"], "datastore")
    stores: dict[str, Doc] = {}
    outputs: dict[str, str] = {}
    for row in (r for r in rows["datastores"] if not r["builtin"]):
        name = row["name"]
        spec = _fields(
            row, "production_status", "deprecated", "deprecation_reason", "approval_required"
        )
        if row["ingestion_kind"] is not None:
            spec["ingestion"] = _ingestion(row)
        spec["approvals"] = [
            _fields(a, "workspace", "dataset_group", "dataset") for a in approvals[name]
        ]
        spec["datasets"] = [_dataset(d, columns[(name, d["name"])]) for d in datasets[name]]
        stores[name] = _document("Datastore", _owned(row), spec)
        if row["producer"] is not None:
            outputs[row["producer"]] = name
    return stores, outputs


def _ingestion(row: Doc) -> Doc:
    triggers = {"cron": {"cron": row["trigger_cron"]}, "external": {"external": True}}
    trigger = triggers.get(row["trigger_kind"])
    ingestion: Doc = {"kind": row["ingestion_kind"], "source": _json(row["ingestion_source"]) or {}}
    if row["ingestion_credential"] is not None:
        ingestion["credential"] = row["ingestion_credential"]
    if row["ingestion_milestoning"] is not None:
        ingestion["milestoning"] = row["ingestion_milestoning"]
    if row["ingestion_watermark"] is not None:
        ingestion["watermark"] = row["ingestion_watermark"]
    return ingestion | ({"trigger": trigger} if trigger else {})


def _json(value: Any) -> Any:
    """A jsonb value: decoded by a connection's codec already, or JSON text (rows.py)."""
    return json.loads(value) if isinstance(value, str) else value


def _dataset(row: Doc, columns: list[Doc]) -> Doc:
    dataset = _fields(
        row, "name", "description", "deprecated", "deprecation_reason", "source_table"
    )
    dataset |= _lists(row, classification="classification")
    dataset["columns"] = [_column(c) for c in sorted(columns, key=itemgetter("ordinal"))]
    return dataset


def _column(row: Doc) -> Doc:
    # written out: the hot loop of a large model (a third of a million columns)
    column = {
        "name": row["name"],
        "type": row["type"],
        "primaryKey": row["primary_key"],
        "nullable": row["nullable"],
        "classification": row["classification"] or [],
    }
    if row["description"] is not None:
        column["description"] = row["description"]
    return column


def _workspaces(rows: Rows, stores: dict[str, Doc], outputs: dict[str, str]) -> list[Doc]:
    groups = _grouped(rows["dataset_groups"], "workspace")
    sinks = _grouped(rows["sinks"], "workspace", "dataset_group")
    transformers = {t["name"]: t for t in rows["transformers"]}
    documents: list[Doc] = []
    for row in (r for r in rows["workspaces"] if not r["builtin"]):
        name = row["name"]
        spec = _fields(row, "production_status", "priority")
        spec["datasetGroups"] = [_group(g, sinks[(name, g["name"])]) for g in groups[name]]
        transformer = transformers.get(row["transformer"])
        if transformer is not None and transformer["workspace"] == name:
            spec["transformer"] = _transformer(transformer, stores, outputs)
        documents.append(_document("Workspace", _owned(row), spec))
    return documents


def _group(row: Doc, sinks: list[Doc]) -> Doc:
    group: Doc = {"name": row["name"]}
    if row["platform"] is not None:
        group["platform"] = _renamed(row, name="platform", status="platform_status")
    else:
        group["requirements"] = _renamed(
            row, retention="required_retention", latency="required_latency"
        )
    group["sinks"] = [
        _fields(s, "datastore", "dataset", "columns", "allow_deprecated")
        | ({"history": True} if s.get("history") else {})
        for s in sorted(sinks, key=itemgetter("ordinal"))
    ]
    return group


def _transformer(row: Doc, stores: dict[str, Doc], outputs: dict[str, str]) -> Doc:
    code = {
        "container": {
            "container": {
                "image": row["image"],
                "command": row["command"] or [],
                "args": row["args"] or [],
                "env": _json(row["env"]) or {},
            }
        },
        "python": {"python": {"module": row["module"]}},
        "builtin": {"builtin": row["builtin_code"]},
    }[row["code_kind"]]
    trigger = TRANSFORMER_TRIGGERS.get(row["trigger_kind"]) or {"cron": row["trigger_cron"]}
    output: Doc = {"name": row["output_datastore"]}
    store = stores.get(outputs.get(row["name"], ""))
    if store is not None:  # an output belongs to its workspace's owner: no zone or team
        output = store["spec"] | {
            key: value for key, value in store["metadata"].items() if key not in ("zone", "team")
        }
    return _fields(row, "name", "description", "timeout_seconds", "retries") | {
        "trigger": trigger,
        "code": code,
        "resources": _fields(row, "cpu", "memory"),
        "output": output,
    }
