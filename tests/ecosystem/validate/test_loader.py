"""The whole load (`app/ecosystem/loader.py`): the base model is clean, and every problem of a
broken model is reported in one run.
"""

from __future__ import annotations

from pathlib import Path

from app.ecosystem.loader import load_directory, load_texts
from tests.ecosystem.modeltext import BASE, files


def test_base_model_has_no_problems() -> None:
    model = load_texts(files())
    assert model.problems == []
    assert {"Customers", "MaskedCustomers", "ecoplane_model"} <= set(model.datastores)


def test_base_model_from_a_directory_has_no_problems(tmp_path: Path) -> None:
    for name, text in BASE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert load_directory(tmp_path).problems == []


def test_every_problem_is_reported_in_one_run_in_file_order(tmp_path: Path) -> None:
    broken = {
        "zz/orders.yaml": """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Orders, zone: USA, team: FrontOffice}
spec:
  productionStatus: production
  ingestion: {kind: cdc, trigger: {cron: "* * *"}}
  datasets:
    - name: orders
      columns:
        - {name: id, type: bigint, primaryKey: true, nullable: true}
        - {name: select, type: text, classification: [pc9]}
        - {name: total, type: numeric}
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: W, zone: USA, team: Nobody}
spec:
  datasetGroups:
    - name: main
      platform: {name: Purple}
      sinks:
        - {datastore: Orders, dataset: order}
        - {datastore: Gone, dataset: x}
    - name: empty
      platform: {name: YellowLive}
      sinks: []
---
apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: Trading, zone: USA, colour: red}
""",
        "zz/syntax.yaml": "apiVersion: [ecoplane.io/v1\n",
    }
    for name, text in {**BASE, **broken}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    model = load_directory(tmp_path)
    assert [(p.file, p.line, p.column, p.code) for p in model.problems] == [
        ("zz/orders.yaml", 6, 42, "invalid-cron"),
        ("zz/orders.yaml", 8, 13, "missing-classification"),
        ("zz/orders.yaml", 10, 64, "nullable-primary-key"),
        ("zz/orders.yaml", 11, 18, "reserved-name"),
        ("zz/orders.yaml", 11, 55, "unknown-classification"),
        ("zz/orders.yaml", 12, 31, "invalid-column-type"),
        ("zz/orders.yaml", 16, 38, "unknown-team"),
        ("zz/orders.yaml", 20, 24, "unknown-platform"),
        ("zz/orders.yaml", 22, 40, "sink-unknown-dataset"),
        ("zz/orders.yaml", 23, 23, "sink-unknown-datastore"),
        ("zz/orders.yaml", 24, 13, "empty-dataset-group"),
        ("zz/orders.yaml", 30, 38, "unknown-field"),
        ("zz/syntax.yaml", 1, 13, "yaml-syntax"),  # the unclosed [
    ]
    assert model.errors == 13 and model.warnings == 0
