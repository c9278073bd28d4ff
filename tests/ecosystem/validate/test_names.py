"""Names taken twice or taken from ecoplane (`app/ecosystem/assemble.py`, and the per-datastore
and per-workspace duplicates of `validate/stores.py` and `validate/workspaces.py`).

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

from tests.ecosystem.validate.base import CASE, ERROR, case, load, single, where


def test_duplicate_datastore_names_compare_ignoring_case() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: ORDERS, zone: USA, team: FrontOffice}   # <- 8:18
        spec: {}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", CASE, 8, 18)
    assert "as 'Orders'; names are compared ignoring case" in problem.message


def test_duplicate_dataset_in_a_datastore() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              columns: [{name: id, type: bigint, primaryKey: true}]
            - name: Orders
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", CASE, 8, 13)
    assert problem.path == "Datastore/Orders/datasets/Orders"


def test_duplicate_column_in_a_dataset() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              columns:
                - {name: id, type: bigint, primaryKey: true}
                - {name: ID, type: integer}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", CASE, 9, 18)
    assert "column 'ID' appears more than once in dataset 'orders'" in problem.message


def test_duplicate_zone_in_the_ecosystem() -> None:
    model = load(
        {
            "ecosystem.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Ecosystem
            metadata: {name: Acme}
            spec:
              classifications: [pc1, pc3]
              vendors: [{name: AWS, cloud: aws, locations: [{name: us-east-1}]}]
              platforms: [{name: Yellow, dataPlatforms: [{name: YellowLive, retention: live-only}]}]
              zones:
                - name: USA
                - name: USA
            """
        }
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", "ecosystem.yaml", 10, 13)
    assert problem.message == "zone 'USA' is defined more than once"


def test_duplicate_team_in_a_zone() -> None:
    model = load(
        {
            "zones/usa/zone.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: GovernanceZone
            metadata: {name: USA}
            spec:
              teams:
                - {name: FrontOffice}
                - {name: Analytics}
                - {name: FrontOffice}
            """
        }
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", "zones/usa/zone.yaml", 8, 14)
    assert problem.message == "team 'FrontOffice' is defined more than once"


def test_duplicate_team_document() -> None:
    model = load(
        {
            "zones/usa/teams.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Team
            metadata: {name: FrontOffice, zone: USA}
            ---
            apiVersion: ecoplane.io/v1
            kind: Team
            metadata: {name: Analytics, zone: USA}
            ---
            apiVersion: ecoplane.io/v1
            kind: Team
            metadata: {name: FrontOffice, zone: USA}
            """
        }
    )
    assert where(single(model)) == (ERROR, "duplicate-name", "zones/usa/teams.yaml", 11, 18)


def test_duplicate_dataset_group_in_a_workspace() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: Customers, dataset: customers}]
            - name: Main
              platform: {name: YellowLive}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "duplicate-name", CASE, 9, 13)
    assert "dataset group 'Main' appears more than once in workspace 'W'" in problem.message


def test_duplicate_workspace_and_transformer_names_compare_ignoring_case() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Reports, zone: USA, team: Analytics}
        spec:
          transformer:
            name: Report
            trigger: {external: true}
            code: {python: {module: acme.report}}
            output: {name: ReportsOut}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: reports, zone: USA, team: Analytics}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Reports2, zone: USA, team: Analytics}
        spec:
          transformer:
            name: REPORT
            trigger: {external: true}
            code: {python: {module: acme.report}}
            output: {name: ReportsOut2}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "duplicate-name", CASE, 13, 18),
        (ERROR, "duplicate-name", CASE, 21, 11),
    ]
    assert model.problems[0].message == (
        "workspace 'reports' is defined more than once "
        "(as 'Reports'; names are compared ignoring case)"
    )
    assert model.problems[1].message.startswith("transformer 'REPORT' is defined more than once")


def test_ecosystem_duplicate() -> None:
    model = load(
        {
            "more/ecosystem.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Ecosystem
            metadata: {name: Other}
            """
        }
    )
    problem = single(model)
    # the first in path order is the model's; the other is reported at its kind
    assert where(problem) == (ERROR, "ecosystem-duplicate", "more/ecosystem.yaml", 2, 7)
    assert "another is in ecosystem.yaml" in problem.message
    assert model.name == "Acme"


def test_output_store_conflicts_with_a_datastore_document() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Scores, zone: USA, team: FrontOffice}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Scoring, zone: USA, team: Analytics}
        spec:
          transformer:
            name: Score
            trigger: {onInputChange: true}
            code: {python: {module: acme.score}}
            output: {name: scores}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "output-store-conflict", CASE, 14, 20)
    assert "also written by a Datastore document" in problem.message


def test_output_store_conflict_between_two_transformers() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: ScoringA, zone: USA, team: Analytics}
        spec:
          transformer:
            name: ScoreA
            trigger: {external: true}
            code: {python: {module: acme.score}}
            output: {name: Scores}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: ScoringB, zone: USA, team: Analytics}
        spec:
          transformer:
            name: ScoreB
            trigger: {external: true}
            code: {python: {module: acme.score}}
            output: {name: Scores}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "output-store-conflict", CASE, 19, 20)
    assert "transformer 'ScoreB' writes datastore 'Scores'" in problem.message
    assert "also written by transformer 'ScoreA'" in problem.message


def test_builtin_datastore_cannot_be_redefined_in_any_case() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Ecoplane_Model, zone: USA, team: FrontOffice}
        spec: {}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "builtin-redefined", CASE, 3, 18)
    assert "datastore 'Ecoplane_Model' is a builtin of ecoplane" in problem.message


def test_builtin_zone_cannot_be_redefined_by_a_zone_document() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: GovernanceZone
        metadata: {name: ecoplane}
        """
    )
    assert where(single(model)) == (ERROR, "builtin-redefined", CASE, 3, 18)


def test_builtin_zone_cannot_be_declared_by_the_ecosystem() -> None:
    model = load(
        {
            "ecosystem.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Ecosystem
            metadata: {name: Acme}
            spec:
              classifications: [pc1, pc3]
              vendors: [{name: AWS, cloud: aws, locations: [{name: us-east-1}]}]
              platforms: [{name: Yellow, dataPlatforms: [{name: YellowLive, retention: live-only}]}]
              zones:
                - name: USA
                - name: ecoplane
            """
        }
    )
    problem = single(model)
    assert where(problem) == (ERROR, "builtin-redefined", "ecosystem.yaml", 10, 13)
    assert problem.message == "zone 'ecoplane' is a builtin of ecoplane and cannot be redefined"


def test_builtin_team_cannot_be_redefined() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Team
        metadata: {name: platform, zone: ecoplane}
        """
    )
    assert where(single(model)) == (ERROR, "builtin-redefined", CASE, 3, 18)


def test_builtin_workspace_transformer_and_output_cannot_be_redefined() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: ecoplane_model_export, zone: USA, team: Analytics}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Export, zone: USA, team: Analytics}
        spec:
          transformer:
            name: externalize_model
            trigger: {onModelChange: true}
            code: {builtin: externalize-model}
            output: {name: ECOPLANE_MODEL}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "builtin-redefined", CASE, 3, 18),
        (ERROR, "builtin-redefined", CASE, 11, 11),
        (ERROR, "builtin-redefined", CASE, 14, 20),
    ]
    assert [p.message.split(" is ")[0] for p in model.problems] == [
        "workspace 'ecoplane_model_export'",
        "transformer 'externalize_model'",
        "datastore 'ECOPLANE_MODEL'",
    ]
