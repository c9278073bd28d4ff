"""Rules on a datastore's ingestion (`validate/ingestion.py`): source engine, watermark column."""

from __future__ import annotations

from app.ecosystem.names import physical_name
from app.ecosystem.spec.datastore import Milestoning
from tests.ecosystem.validate.base import CASE, ERROR, case, codes, load, only, single, where

STORE = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Orders, zone: USA, team: FrontOffice}
spec:
  ingestion:
    kind: sql-watermark
    source: {engine: ENGINE, host: oms, database: oms}
    WATERMARK
  datasets:
    - name: orders
      sourceTable: oms_orders
      columns:
        - {name: id, type: bigint, primaryKey: true}
        - {name: changed_at, type: timestamptz}
    - name: fills
      columns:
        - {name: id, type: bigint, primaryKey: true}
"""


def _store(engine: str = "postgres", watermark: str = "milestoning: forensic") -> str:
    return STORE.replace("ENGINE", engine).replace("WATERMARK", watermark)


def test_a_source_engine_ecoplane_cannot_read_is_an_error_at_the_engine() -> None:
    problem = single(case(_store(engine="oracle")))
    assert where(problem) == (ERROR, "unsupported-source-engine", CASE, 7, 22)
    assert "'oracle'" in problem.message and "postgres or mysql" in problem.message


def test_a_watermark_column_a_dataset_lacks_is_an_error_naming_the_dataset() -> None:
    problem = single(case(_store(watermark="watermark: changed_at")))
    assert where(problem) == (ERROR, "unknown-watermark-column", CASE, 15, 13)
    assert problem.message.startswith("dataset 'fills' has no column 'changed_at'")


def test_milestoning_source_table_and_mysql_are_read() -> None:
    model = case(_store(engine="mysql"))
    assert model.problems == []
    store = model.datastores["Orders"]
    assert store.ingestion is not None and store.ingestion.milestoning is Milestoning.FORENSIC
    assert [d.table_at_source for d in store.body.datasets] == ["oms_orders", "fills"]


WORKSPACE = """\
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Desk, zone: USA, team: FrontOffice}
spec:
  datasetGroups:
    - name: main
      platform: {name: YellowLive}
      sinks:
        - {datastore: Orders, dataset: fills, history: true}
"""


def test_history_of_a_datastore_that_keeps_no_versions_is_an_error_at_the_sink() -> None:
    live = case(_store(watermark="watermark: changed_at") + WORKSPACE)
    problem = only(live, "sink-history-not-forensic")
    assert where(problem)[:3] == (ERROR, "sink-history-not-forensic", CASE)
    assert problem.path.endswith("/sinks/0")
    assert "Orders.fills" in problem.message and "has milestoning live" in problem.message
    forensic = case(
        _store(watermark="watermark: changed_at\n    milestoning: forensic") + WORKSPACE
    )
    assert "sink-history-not-forensic" not in codes(forensic)


def test_a_datastore_named_as_another_ones_hashed_di_role_collides() -> None:
    long = "Orders" + "x" * 57  # 63 characters: di_ makes it 66, so hashed
    hashed = physical_name("", f"di_{long}")  # di_ + 54 characters + _ + a hash
    first = _store().replace("name: Orders,", f"name: {long},")
    second = _store().replace("name: Orders,", f"name: {hashed[3:]},")
    second = second.replace("- name: orders\n", "- name: lines\n").replace(
        "- name: fills", "- name: x"
    )
    problem = only(case(first + "---\n" + second), "physical-name-collision")
    assert f"would both have the warehouse role {hashed}" in problem.message


def _credential(credential: str, name: str = "Orders") -> str:
    return (
        _store()
        .replace("Orders", name)
        .replace("source: {engine", f"credential: {credential!r}\n    source: {{engine")
    )


def test_a_credential_that_cannot_name_a_secret_is_an_error_at_the_credential() -> None:
    problem = single(case(_credential("crm reader/../x")))
    assert where(problem) == (ERROR, "invalid-credential-name", CASE, 7, 17)
    assert "'crm reader/../x'" in problem.message and "'Orders'" in problem.message


def test_two_credentials_that_would_be_one_secret_are_an_error_at_the_later_one() -> None:
    model = load(
        {
            "a.yaml": _credential("crm_reader", "Orders"),
            "b.yaml": _credential("crm-reader", "Fills"),
        }
    )
    problem = single(model)
    assert problem.code == "credential-name-collision" and problem.line == 7
    assert "ecoplane-source-crm-reader" in problem.message


def test_datastores_may_share_one_credential() -> None:
    model = load(
        {
            "a.yaml": _credential("crm_reader", "Orders"),
            "b.yaml": _credential("crm_reader", "Fills"),
        }
    )
    assert model.problems == []
