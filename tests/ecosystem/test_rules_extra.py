"""Rules a demanding user expects beyond MODEL.md's list: each fails on a minimal broken model."""

from __future__ import annotations

from app.ecosystem.problems import Severity
from tests.ecosystem.validate.base import CASE, case, single, where

ERROR, WARNING = Severity.ERROR, Severity.WARNING

READER = """\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Reader, zone: USA, team: Analytics}
spec:
  datasetGroups:
    - name: main
      platform: {name: YellowLive}
      sinks:
        - {datastore: Customers, dataset: customers, columns: []}
"""


def test_a_sink_listing_no_columns_is_an_error() -> None:
    problem = single(case(READER))
    assert where(problem) == (ERROR, "sink-no-columns", CASE, 9, 63)
    assert "omit 'columns'" in problem.message


def test_user_entities_may_not_live_in_the_builtin_zone() -> None:
    text = READER.replace("zone: USA, team: Analytics", "zone: ecoplane, team: platform")
    text = text.replace(", columns: []", "")
    problem = single(case(text))
    assert where(problem) == (ERROR, "builtin-zone-used", CASE, 3, 32)
    assert "zone 'ecoplane'" in problem.message


def test_approval_naming_an_unknown_workspace_is_a_warning() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Payroll, zone: USA, team: FrontOffice}
        spec:
          approvalRequired: true
          approvals:
            - {workspace: Ghost, datasetGroup: main, dataset: salaries}
          datasets:
            - name: salaries
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    problem = single(model)
    assert where(problem) == (WARNING, "approval-unknown-reference", CASE, 7, 7)
    assert "workspace 'Ghost'" in problem.message


def test_production_dataset_without_columns_or_classification_is_an_error() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Empty, zone: USA, team: FrontOffice}
        spec:
          productionStatus: production
          datasets:
            - name: nothing
        """
    )
    codes = sorted((p.code, p.line, p.column) for p in model.problems)
    assert codes == [("missing-classification", 7, 13), ("no-primary-key", 7, 13)]


def test_reference_to_a_rejected_duplicate_is_not_reported_again() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: CUSTOMERS, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: other
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    # case.yaml sorts before zones/usa/customers.yaml: CUSTOMERS wins and Customers is the
    # duplicate; the base workspace's sink of Customers must not add "does not exist"
    assert [p.code for p in model.problems] == ["duplicate-name"]
