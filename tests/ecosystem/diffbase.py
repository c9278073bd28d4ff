"""A small valid model as Python data, for the diff, graph and lineage tests.

Documents are plain dicts; `texts()` renders them as JSON, which is valid YAML, so each test
can deep-copy the base, change one thing and load both versions.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model

Doc = dict[str, Any]
API = "ecoplane.io/v1"


def _col(name: str, type_: str, **extra: Any) -> Doc:
    return {"name": name, "type": type_, **extra}


def ecosystem() -> Doc:
    return {
        "apiVersion": API,
        "kind": "Ecosystem",
        "metadata": {"name": "Acme"},
        "spec": {
            "classifications": ["pub", "pc1"],
            "platforms": [
                {
                    "name": "Yellow",
                    "dataPlatforms": [{"name": "YellowLive", "retention": "live-only"}],
                }
            ],
            "zones": [{"name": "USA", "owners": ["github:@acme/gov"]}],
        },
    }


def zone() -> Doc:
    return {
        "apiVersion": API,
        "kind": "GovernanceZone",
        "metadata": {"name": "USA"},
        "spec": {"teams": [{"name": "FrontOffice"}, {"name": "Analytics"}]},
    }


def team(name: str) -> Doc:
    return {
        "apiVersion": API,
        "kind": "Team",
        "metadata": {"name": name, "zone": "USA"},
        "spec": {},
    }


def datastore(name: str, datasets: list[Doc], **spec: Any) -> Doc:
    return {
        "apiVersion": API,
        "kind": "Datastore",
        "metadata": {"name": name, "zone": "USA", "team": "FrontOffice"},
        "spec": {"datasets": datasets, **spec},
    }


def sink(store: str, dataset: str, columns: list[str] | None = None) -> Doc:
    found: Doc = {"datastore": store, "dataset": dataset}
    if columns is not None:
        found["columns"] = columns
    return found


def workspace(name: str, sinks: list[Doc], transformer: Doc | None = None) -> Doc:
    spec: Doc = {
        "datasetGroups": [
            {"name": "main", "platform": {"name": "YellowLive"}, "sinks": sinks},
        ]
    }
    if transformer is not None:
        spec["transformer"] = transformer
    return {
        "apiVersion": API,
        "kind": "Workspace",
        "metadata": {"name": name, "zone": "USA", "team": "Analytics"},
        "spec": spec,
    }


def transformer(name: str, output: str, datasets: list[Doc]) -> Doc:
    return {
        "name": name,
        "trigger": {"onInputChange": True},
        "code": {"python": {"module": f"acme.{name.lower()}"}},
        "output": {"name": output, "datasets": datasets},
    }


def customers_columns() -> list[Doc]:
    return [
        _col("id", "bigint", primaryKey=True, nullable=False),
        _col("email", "varchar(20)"),
        _col("name", "varchar(10)"),
        _col("age", "integer"),
        _col("score", "bigint"),
        _col("code", "integer"),
        _col("created", "timestamp"),
        _col("amount", "decimal(10,2)"),
        _col("note", "varchar(40)"),
        _col("extra", "struct<a: integer>"),
        _col("country", "char(2)", nullable=False),
    ]


def base() -> dict[str, Doc]:
    """The documents of the base model by key (one file each).

    Customers.customers is sunk in full by Reporting (whose transformer MaskCustomers writes
    Masked), and by Marketing only for columns id and email; Downstream sinks Masked.masked;
    Customers.orders is sunk by Orders; nobody sinks the datasets of Unused (things, stuff).
    """
    return {
        "ecosystem": ecosystem(),
        "zone": zone(),
        "team-fo": team("FrontOffice"),
        "team-an": team("Analytics"),
        "customers": datastore(
            "Customers",
            [
                {"name": "customers", "classification": ["pub"], "columns": customers_columns()},
                {
                    "name": "orders",
                    "classification": ["pub"],
                    "columns": [
                        _col("id", "bigint", primaryKey=True),
                        _col("total", "decimal(10,2)"),
                    ],
                },
            ],
        ),
        "unused": datastore(
            "Unused",
            [
                {
                    "name": "things",
                    "classification": ["pub"],
                    "columns": [
                        _col("id", "bigint", primaryKey=True),
                        _col("note", "varchar(20)"),
                        _col("size", "integer", nullable=False),
                    ],
                },
                {
                    "name": "stuff",
                    "classification": ["pub"],
                    "columns": [_col("id", "bigint", primaryKey=True)],
                },
            ],
        ),
        "reporting": workspace(
            "Reporting",
            [sink("Customers", "customers")],
            transformer(
                "MaskCustomers",
                "Masked",
                [
                    {
                        "name": "masked",
                        "classification": ["pub"],
                        "columns": [_col("id", "bigint", primaryKey=True)],
                    }
                ],
            ),
        ),
        "marketing": workspace("Marketing", [sink("Customers", "customers", ["id", "email"])]),
        "downstream": workspace("Downstream", [sink("Masked", "masked")]),
        "orders": workspace("Orders", [sink("Customers", "orders")]),
    }


def texts(documents: dict[str, Doc]) -> dict[str, str | bytes]:
    """Model files: one JSON (hence YAML) document per file."""
    return {f"{key}.yaml": json.dumps(doc, indent=1) for key, doc in documents.items()}


def load(documents: dict[str, Doc], strict: bool = True) -> Model:
    """Load documents; when strict, insist that they are free of errors and warnings."""
    model = load_texts(texts(documents))
    if strict:
        assert model.problems == [], [p.message for p in model.problems]
    return model


def copied(documents: dict[str, Doc]) -> dict[str, Doc]:
    """A deep copy to change."""
    return copy.deepcopy(documents)


def dataset(documents: dict[str, Doc], store: str, name: str) -> Doc:
    """A dataset document of a datastore (by the datastore's file key)."""
    found: Doc = next(d for d in documents[store]["spec"]["datasets"] if d["name"] == name)
    return found


def column(documents: dict[str, Doc], store: str, table: str, name: str) -> Doc:
    """A column document."""
    found: Doc = next(c for c in dataset(documents, store, table)["columns"] if c["name"] == name)
    return found
