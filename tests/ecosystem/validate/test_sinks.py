"""Rules on sinks (`validate/sinks.py`): what they reference, and whether the zone's policies,
deprecation and approvals allow it.

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

from tests.ecosystem.validate.base import CASE, ERROR, WARNING, case, single, where


def test_sink_on_builtin_model_datastore_is_allowed() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: ModelAudit, zone: USA, team: Analytics}
        spec:
          productionStatus: production
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks:
                - {datastore: ecoplane_model, dataset: datastores}
                - {datastore: ecoplane_model, dataset: columns, columns: [datastore, name, type]}
        """
    )
    assert model.problems == []
    assert model.datastores["ecoplane_model"].builtin


def test_sink_unknown_datastore_dataset_and_column() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks:
                - {datastore: Orders, dataset: orders}
                - {datastore: Customers, dataset: orders}
                - {datastore: Customers, dataset: customers, columns: [id, phone]}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "sink-unknown-datastore", CASE, 9, 23),
        (ERROR, "sink-unknown-dataset", CASE, 10, 43),
        (ERROR, "sink-unknown-column", CASE, 11, 68),
    ]
    assert [p.path for p in model.problems] == [
        "Workspace/W/datasetGroups/main/sinks/0",
        "Workspace/W/datasetGroups/main/sinks/1",
        "Workspace/W/datasetGroups/main/sinks/2",
    ]
    assert "it has: customers" in model.problems[1].message
    assert "no column 'phone'" in model.problems[2].message


def test_classification_denied_by_dataset_classification() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Payroll, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: salaries
              classification: [pc3]
              columns: [{name: id, type: bigint, primaryKey: true}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Hr, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks:
                - {datastore: Payroll, dataset: salaries}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "classification-denied", CASE, 18, 11)
    assert "zone 'USA' denies its workspaces pc3" in problem.message
    assert "exposes dataset 'salaries' (pc3)" in problem.message


PAYROLL_WITH_SSN = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Payroll, zone: USA, team: FrontOffice}
spec:
  datasets:
    - name: people
      classification: [pc1]
      columns:
        - {name: id, type: bigint, primaryKey: true}
        - {name: ssn, type: char(9), classification: [pc3]}
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Hr, zone: USA, team: Analytics}
spec:
  datasetGroups:
    - name: main
      platform: {name: YellowLive}
      sinks:
        - {datastore: Payroll, dataset: people}
"""


def test_classification_denied_by_column_classification() -> None:
    model = case(PAYROLL_WITH_SSN)
    problem = single(model)
    assert where(problem) == (ERROR, "classification-denied", CASE, 20, 11)
    assert "exposes column 'ssn' (pc3)" in problem.message


def test_sink_of_columns_avoiding_the_denied_column_is_allowed() -> None:
    text = PAYROLL_WITH_SSN.replace(
        "{datastore: Payroll, dataset: people}",
        "{datastore: Payroll, dataset: people, columns: [id]}",
    )
    assert "columns: [id]" in text
    assert case(text).problems == []


def test_sink_deprecated_is_an_error_without_allow_deprecated() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              deprecated: true
              deprecationReason: use orders_v2
              columns: [{name: id, type: bigint, primaryKey: true}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks:
                - {datastore: Orders, dataset: orders}
                - {datastore: Orders, dataset: orders, allowDeprecated: true}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "sink-deprecated", CASE, 19, 11),
        (WARNING, "sink-deprecated", CASE, 20, 11),
    ]
    assert model.problems[0].message == (
        "sink uses deprecated dataset Orders.orders (use orders_v2); "
        "set allowDeprecated: true to accept it"
    )
    assert model.problems[1].message == "sink uses deprecated dataset Orders.orders (use orders_v2)"


def test_sink_deprecated_for_a_deprecated_datastore() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          deprecated: true
          deprecationReason: moved to Sales
          datasets:
            - name: orders
              columns: [{name: id, type: bigint, primaryKey: true}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: Orders, dataset: orders}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "sink-deprecated", CASE, 18, 15)
    assert "deprecated datastore 'Orders' (moved to Sales)" in problem.message


APPROVAL_REQUIRED = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Payroll, zone: USA, team: FrontOffice}
spec:
  approvalRequired: true
  approvals:
    - {workspace: Hr, datasetGroup: main, dataset: salaries}
  datasets:
    - name: salaries
      columns: [{name: id, type: bigint, primaryKey: true}]
    - name: bonuses
      columns: [{name: id, type: bigint, primaryKey: true}]
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Hr, zone: USA, team: Analytics}
spec:
  datasetGroups:
    - name: main
      platform: {name: YellowLive}
      sinks:
        - {datastore: Payroll, dataset: salaries}
        - {datastore: Payroll, dataset: bonuses}
    - name: other
      platform: {name: YellowLive}
      sinks:
        - {datastore: Payroll, dataset: salaries}
"""


def test_approval_missing() -> None:
    model = case(APPROVAL_REQUIRED)
    # approved: main/salaries; not approved: main/bonuses and other/salaries
    assert [where(p) for p in model.problems] == [
        (ERROR, "approval-missing", CASE, 23, 11),
        (ERROR, "approval-missing", CASE, 27, 11),
    ]
    assert "dataset group 'other', dataset 'salaries'" in model.problems[1].message


def test_matching_approvals_give_no_problem() -> None:
    text = APPROVAL_REQUIRED.replace(
        "    - {workspace: Hr, datasetGroup: main, dataset: salaries}\n",
        "    - {workspace: Hr, datasetGroup: main, dataset: salaries}\n"
        "    - {workspace: Hr, datasetGroup: main, dataset: bonuses}\n"
        "    - {workspace: Hr, datasetGroup: other, dataset: salaries}\n",
    )
    assert text.count("workspace: Hr,") == 3
    assert case(text).problems == []


def test_production_workspace_sinking_non_production_datastore_is_a_warning() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Scratch, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: notes
              columns: [{name: id, type: bigint, primaryKey: true}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          productionStatus: production
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: Scratch, dataset: notes}]
        """
    )
    problem = single(model)
    assert where(problem) == (WARNING, "production-sinks-non-production", CASE, 17, 27)
    assert "non-production datastore 'Scratch'" in problem.message
