"""Every validation rule of MODEL.md: a minimal broken model and where its problem is reported.

Each case is the valid base model of `modeltext` plus (or with one file replaced by) the YAML
written in the test. Lines and columns are 1-based and point at the offending node; a
`# <- line:column` comment marks it in the YAML when the line is not obvious.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ecosystem.coltypes import ACCEPTED_FORMS
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from app.ecosystem.problems import Problem, Severity
from tests.ecosystem.modeltext import BASE, files

CASE = "case.yaml"
ERROR, WARNING = Severity.ERROR, Severity.WARNING


def load(extra: dict[str, str | None]) -> Model:
    """The base model with files added, replaced or (None) removed."""
    return load_texts(files(extra))


def case(text: str) -> Model:
    """The base model plus `case.yaml`."""
    return load({CASE: text})


def lines(model: Model) -> list[str]:
    return [p.as_line() for p in model.problems]


def only(model: Model, code: str) -> Problem:
    """The one problem with this code."""
    found = [p for p in model.problems if p.code == code]
    assert len(found) == 1, lines(model)
    return found[0]


def single(model: Model) -> Problem:
    """The one problem of the model: the case breaks one thing and nothing else echoes it."""
    assert len(model.problems) == 1, lines(model)
    return model.problems[0]


def where(problem: Problem) -> tuple[Severity, str, str, int, int]:
    return problem.severity, problem.code, problem.file, problem.line, problem.column


def codes(model: Model) -> list[str]:
    return [p.code for p in model.problems]


# --- the base model -----------------------------------------------------------------------------


def test_base_model_has_no_problems() -> None:
    model = load_texts(files())
    assert model.problems == []
    assert {"Customers", "MaskedCustomers", "ecoplane_model"} <= set(model.datastores)


def test_base_model_from_a_directory_has_no_problems(tmp_path: Path) -> None:
    for name, text in BASE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert load_directory(tmp_path).problems == []


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


# --- reading documents --------------------------------------------------------------------------


def test_yaml_syntax() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Team
        metadata: {name: FrontOffice, zone: USA
        spec: {}
        """
    )
    problem = single(model)
    # the parser notices the unclosed flow mapping where the next line starts
    assert where(problem) == (ERROR, "yaml-syntax", CASE, 4, 5)
    assert "did not find expected ',' or '}'" in problem.message


def test_yaml_syntax_in_a_later_document_is_located_in_the_file() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Team
        metadata: {name: FrontOffice, zone: USA}
        ---
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata:
          name: Orders
           zone: USA
        """
    )
    assert where(single(model)) == (ERROR, "yaml-syntax", CASE, 9, 8)


def test_document_not_mapping() -> None:
    model = case(
        """\
        - apiVersion: ecoplane.io/v1
          kind: Team
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "document-not-mapping", CASE, 1, 1)
    assert "found a list" in problem.message


def test_document_not_mapping_in_a_stream_names_each_bad_document() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets: [{name: orders, columns: [{name: id, type: bigint, primaryKey: true}]}]
        ---
        - apiVersion: ecoplane.io/v1
          kind: Team
        ---
        just some text
        """
    )
    assert [(p.code, p.line, p.column, p.path) for p in model.problems] == [
        ("document-not-mapping", 7, 1, "document 2"),
        ("document-not-mapping", 10, 1, "document 3"),
    ]
    assert "found a list" in model.problems[0].message
    assert "found a str" in model.problems[1].message
    assert "Orders" in model.datastores  # the valid first document is still read


def test_unknown_api_version() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v2
        kind: Team
        metadata: {name: FrontOffice, zone: USA}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-api-version", CASE, 1, 13)
    assert "'ecoplane.io/v1'" in problem.message


def test_unknown_kind() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Tema
        metadata: {name: FrontOffice, zone: USA}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-kind", CASE, 2, 7)
    assert "'Tema'" in problem.message and "GovernanceZone" in problem.message


def test_unknown_field_suggests_the_close_name() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          productionstatus: production
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-field", CASE, 5, 3)  # at the key
    assert problem.path == "Datastore/Orders/productionstatus"
    assert "did you mean 'productionStatus'?" in problem.message


def test_unknown_field_lists_allowed_fields_and_the_quoting_hint() -> None:
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
                - {name: amount, type: decimal(18,4)}   # <- 9:43, the key `4)`
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-field", CASE, 9, 43)
    assert "allowed: name, type, primaryKey, nullable, classification" in problem.message
    assert "decimal(18,4), must be quoted" in problem.message


def test_unknown_field_in_metadata_and_the_missing_field_it_replaces() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata:
          name: Orders
          zone: USA
          teem: FrontOffice
        spec: {}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "missing-field", CASE, 4, 3),  # at the mapping that lacks it
        (ERROR, "unknown-field", CASE, 6, 3),
    ]
    assert "did you mean 'team'?" in model.problems[1].message


def test_missing_field() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata:
          name: Orders
          zone: USA
        spec: {}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "missing-field", CASE, 4, 3)
    assert problem.message == "missing field 'team' in Datastore/Orders/metadata"


def test_missing_api_version() -> None:
    model = case(
        """\
        kind: Team
        metadata: {name: FrontOffice, zone: USA}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "missing-field", CASE, 1, 1)
    assert "'apiVersion'" in problem.message


def test_wrong_type() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              classification: pc1
              columns:
                - {name: id, type: bigint, primaryKey: maybe}   # <- 9:48
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "wrong-type", CASE, 7, 23),
        (ERROR, "wrong-type", CASE, 9, 48),
    ]
    assert "valid list, got 'pc1'" in model.problems[0].message
    assert "valid boolean" in model.problems[1].message


def test_invalid_value_of_an_enum() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          productionStatus: live
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-value", CASE, 5, 21)
    assert "'production' or 'not-production'" in problem.message


def test_invalid_value_trigger_with_both_cron_and_external() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          ingestion:
            kind: cdc
            trigger: {cron: "0 * * * *", external: true}   # <- 7:14
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-value", CASE, 7, 14)
    assert "exactly one of 'cron' or 'external: true'" in problem.message


TRANSFORMER = """\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {{name: W, zone: USA, team: Analytics}}
spec:
  transformer:
    name: T
    {trigger}
    {code}
    {limit}
    output: {{name: TOut}}
"""
VALID_TRANSFORMER = {
    "trigger": "trigger: {external: true}",  # line 7
    "code": "code: {python: {module: acme.t}}",  # line 8
    "limit": "retries: 1",  # line 9
}


@pytest.mark.parametrize(
    ("slot", "text", "line", "column", "message"),
    [
        ("trigger", 'trigger: {cron: "0 * * * *", onInputChange: true}', 7, 14, "exactly one of"),
        ("trigger", "trigger: {onInputChange: false}", 7, 14, "exactly one of 'cron'"),
        ("code", "code: {python: {module: a.b}, builtin: externalize-model}", 8, 11, "one of"),
        ("limit", "timeoutSeconds: 0", 9, 21, "greater than or equal to 1"),
        ("limit", "retries: 11", 9, 14, "less than or equal to 10"),
    ],
    ids=["two-triggers", "no-trigger", "two-codes", "timeout-zero", "too-many-retries"],
)
def test_invalid_value_in_a_transformer(
    slot: str, text: str, line: int, column: int, message: str
) -> None:
    assert case(TRANSFORMER.format(**VALID_TRANSFORMER)).problems == []
    model = case(TRANSFORMER.format(**{**VALID_TRANSFORMER, slot: text}))
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-value", CASE, line, column)
    assert message in problem.message


def test_invalid_value_dataset_group_with_both_platform_and_requirements() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              requirements: {retention: forensic}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-value", CASE, 6, 7)  # the group
    assert "exactly one of 'platform' or 'requirements'" in problem.message


def test_broken_document_is_not_reported_again_by_references_to_it() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          productionStatus: live
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
    assert codes(model) == ["invalid-value"]  # no sink-unknown-datastore for Orders


# --- names: duplicates and builtins -------------------------------------------------------------


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


# --- the ecosystem, zones and teams -------------------------------------------------------------


def test_ecosystem_missing_is_one_problem_at_the_model_root() -> None:
    model = load({"ecosystem.yaml": None})
    # zones, teams and policies name what the ecosystem declares: they are not checked
    # against a missing ecosystem, which would only echo this problem
    assert where(single(model)) == (ERROR, "ecosystem-missing", ".", 1, 1)


def test_invalid_ecosystem_is_reported_once_not_as_missing() -> None:
    model = load(
        {
            "ecosystem.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Ecosystem
            metadata: {name: Acme}
            spec: {zones: USA}
            """
        }
    )
    assert where(single(model)) == (ERROR, "wrong-type", "ecosystem.yaml", 4, 15)


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


def test_unknown_zone_on_datastore_workspace_and_team() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: EMEA, team: FrontOffice}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: EMEA, team: Analytics}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Team
        metadata: {name: Trading, zone: EMEA}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "unknown-zone", CASE, 3, 32),
        (ERROR, "unknown-zone", CASE, 8, 27),
        (ERROR, "unknown-zone", CASE, 13, 33),
    ]
    assert "names zone 'EMEA', which the ecosystem does not declare" in model.problems[0].message


def test_unknown_zone_for_an_undeclared_zone_document() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: GovernanceZone
        metadata: {name: EMEA}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-zone", CASE, 3, 18)
    assert "add it to the Ecosystem's spec.zones" in problem.message


def test_unknown_team_on_datastore_workspace_and_team() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: Trading}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Trading}
        spec: {}
        ---
        apiVersion: ecoplane.io/v1
        kind: Team
        metadata: {name: Trading, zone: USA}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "unknown-team", CASE, 3, 43),
        (ERROR, "unknown-team", CASE, 8, 38),
        (ERROR, "unknown-team", CASE, 13, 18),
    ]
    assert "add it to the zone's spec.teams" in model.problems[2].message


def test_zone_not_defined_is_a_warning() -> None:
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
                - name: EMEA
                  owners: [emea-governance]
            """
        }
    )
    problem = single(model)
    assert where(problem) == (WARNING, "zone-not-defined", "ecosystem.yaml", 10, 7)
    assert model.errors == 0


def test_team_not_defined_is_a_warning() -> None:
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
                - {name: Trading, owners: [carol]}
            """
        }
    )
    problem = single(model)
    assert where(problem) == (WARNING, "team-not-defined", "zones/usa/zone.yaml", 8, 7)
    assert "team 'Trading' of zone 'USA'" in problem.message


# --- sinks --------------------------------------------------------------------------------------


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


def test_empty_dataset_group() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: []
        """
    )
    assert where(single(model)) == (ERROR, "empty-dataset-group", CASE, 6, 13)


def test_unknown_platform() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowDead}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-platform", CASE, 7, 24)
    assert "declared: YellowHistory, YellowLive" in problem.message


def test_requirement_unmet() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: live
              requirements: {retention: live-only}
              sinks: [{datastore: Customers, dataset: customers}]
            - name: history
              requirements: {retention: forensic, latency: minutes}
              sinks: [{datastore: Customers, dataset: customers}]
        """
    )
    # YellowLive is live-only; the forensic YellowHistory is only hours-fresh
    problem = single(model)
    assert where(problem) == (ERROR, "requirement-unmet", CASE, 10, 21)
    assert "(retention=forensic, latency=minutes)" in problem.message


def test_unknown_classification_in_dataset_column_and_zone_policy() -> None:
    model = load(
        {
            CASE: """\
            apiVersion: ecoplane.io/v1
            kind: Datastore
            metadata: {name: Orders, zone: USA, team: FrontOffice}
            spec:
              datasets:
                - name: orders
                  classification: [pc1, secret]
                  columns:
                    - {name: id, type: bigint, primaryKey: true, classification: [pc9]}
            """,
            "zones/usa/zone.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: GovernanceZone
            metadata: {name: USA}
            spec:
              teams: [{name: FrontOffice}, {name: Analytics}]
              policies:
                consumers: {denyClassifications: [pc3, PC3]}
            """,
        }
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "unknown-classification", CASE, 7, 29),
        (ERROR, "unknown-classification", CASE, 9, 71),
        (ERROR, "unknown-classification", "zones/usa/zone.yaml", 7, 44),
    ]
    assert model.problems[0].message == (
        "classification 'secret' is not in the ecosystem's vocabulary: internal, pc1, pc3, pub"
    )


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


# --- transformers -------------------------------------------------------------------------------


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


def _transforming_workspace(name: str, sinks: str, output: str) -> str:
    return f"""\
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {{name: {name}, zone: USA, team: Analytics}}
spec:
  datasetGroups:
    - name: main
      platform: {{name: YellowLive}}
      sinks: [{{datastore: {sinks}, dataset: t}}]
  transformer:
    name: {name}T
    trigger: {{onInputChange: true}}
    code: {{python: {{module: acme.{name.lower()}}}}}
    output:
      name: {output}
      datasets: [{{name: t, columns: [{{name: id, type: bigint, primaryKey: true}}]}}]
"""


def test_transformer_cycle_of_two_is_an_error() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Ping, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: PongOut, dataset: t}]
          transformer:
            name: PingT
            trigger: {onInputChange: true}
            code: {python: {module: acme.ping}}
            output:
              name: PingOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Pong, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: PingOut, dataset: t}]
          transformer:
            name: PongT
            trigger: {onInputChange: true}
            code: {python: {module: acme.pong}}
            output:
              name: PongOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "transformer-cycle", CASE, 10, 11)
    assert "PingT → PongT → PingT" in problem.message


def test_transformer_cycle_of_three_is_one_error() -> None:
    model = load(
        {
            "a.yaml": _transforming_workspace("A", "COut", "AOut"),
            "b.yaml": _transforming_workspace("B", "AOut", "BOut"),
            "c.yaml": _transforming_workspace("C", "BOut", "COut"),
        }
    )
    problem = single(model)
    assert where(problem) == (ERROR, "transformer-cycle", "a.yaml", 10, 11)
    assert "AT → BT → CT → AT" in problem.message


def test_transformer_reading_its_own_output_is_allowed() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Loop, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: main
              platform: {name: YellowLive}
              sinks: [{datastore: LoopOut, dataset: t}]
          transformer:
            name: LoopT
            trigger: {onInputChange: true}
            code: {python: {module: acme.loop}}
            output:
              name: LoopOut
              datasets: [{name: t, columns: [{name: id, type: bigint, primaryKey: true}]}]
        """
    )
    assert model.problems == []
    assert model.datastores["LoopOut"].producer == "LoopT"


def test_unknown_builtin_code() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          transformer:
            name: T
            trigger: {external: true}
            code: {builtin: export-everything}
            output: {name: TOut}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "unknown-builtin-code", CASE, 8, 21)
    assert "builtins: externalize-model" in problem.message


# --- datastores, datasets and columns -----------------------------------------------------------


def test_nullable_primary_key() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              columns:
                - {name: id, type: bigint, primaryKey: true, nullable: true}   # <- 8:64
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "nullable-primary-key", CASE, 8, 64)
    assert "column 'id'" in problem.message


def test_invalid_column_type_names_the_column_and_the_accepted_forms() -> None:
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
                - {name: amount, type: money}   # <- 9:32
                - {name: tags, type: "array<text"}
                - {name: price, type: "DECIMAL(18,4)"}
                - {name: attrs, type: "map<text, struct<a: integer, b: array<uuid>>>"}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "invalid-column-type", CASE, 9, 32),
        (ERROR, "invalid-column-type", CASE, 10, 30),
    ]
    first = model.problems[0].message
    assert first.startswith("column 'amount' has type 'money', which does not parse")
    assert "unknown type 'money'" in first
    assert first.endswith(f"accepted: {ACCEPTED_FORMS}")
    assert "column 'tags'" in model.problems[1].message


def test_invalid_cron_in_ingestion_and_transformer() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          ingestion:
            kind: sql-watermark
            trigger: {cron: "61 * * * *"}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: W, zone: USA, team: Analytics}
        spec:
          transformer:
            name: T
            trigger: {cron: "every hour"}
            code: {python: {module: acme.t}}
            output: {name: TOut}
        """
    )
    assert [where(p) for p in model.problems] == [
        (ERROR, "invalid-cron", CASE, 7, 21),
        (ERROR, "invalid-cron", CASE, 15, 21),
    ]
    assert "minute: 61 is outside 0-59" in model.problems[0].message
    assert "got 2 field(s)" in model.problems[1].message


def test_invalid_cron_with_a_non_ascii_digit_is_a_problem_not_a_crash() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          ingestion: {kind: cdc, trigger: {cron: "*/² * * * *"}}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-cron", CASE, 5, 42)
    assert "minute step: '²' is not a number" in problem.message


def test_missing_classification_in_a_production_datastore() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          productionStatus: production
          datasets:
            - name: orders
              columns:
                - {name: id, type: bigint, primaryKey: true, classification: [internal]}
                - {name: note, type: text}
            - name: lines
              columns:
                - {name: id, type: bigint, primaryKey: true, classification: [internal]}
                - {name: amount, type: "decimal(18,2)", classification: [pc1]}
        """
    )
    # lines has every column classified; orders has an unclassified column and no dataset class
    problem = single(model)
    assert where(problem) == (ERROR, "missing-classification", CASE, 7, 13)
    assert "nor do its columns note" in problem.message


def test_missing_classification_is_not_checked_for_non_production() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          productionStatus: not-production
          datasets:
            - name: orders
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    assert model.problems == []


def test_no_primary_key_is_a_warning() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              columns: [{name: id, type: bigint}]
        """
    )
    problem = single(model)
    assert where(problem) == (WARNING, "no-primary-key", CASE, 6, 13)
    assert model.errors == 0 and model.warnings == 1


def test_deprecation_reason_missing_is_a_warning() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          deprecated: true
          datasets:
            - name: orders
              deprecated: true
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    assert [where(p) for p in model.problems] == [
        (WARNING, "deprecation-reason-missing", CASE, 5, 15),
        (WARNING, "deprecation-reason-missing", CASE, 8, 19),
    ]
    assert model.problems[0].message.startswith("datastore 'Orders' is deprecated")
    assert model.problems[1].message.startswith("dataset 'orders' is deprecated")


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Order Book", "o'rders", '"orders"', "orders;drop", "größe", "1orders", "_orders", "a" * 64],
)
def test_invalid_datastore_name(name: str) -> None:
    quoted = name.replace('"', '\\"')
    model = case(
        f"""\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata:
          name: "{quoted}"
          zone: USA
          team: FrontOffice
        spec: {{}}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "invalid-name", CASE, 4, 9)
    assert problem.message == (
        f"{name!r} is not a valid name: use a letter, then letters, digits or '_', "
        "at most 63 characters"
    )


def test_invalid_names_of_every_identifier_kind() -> None:
    model = case(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Orders, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: "order lines"
              columns:
                - {name: "id;", type: bigint, primaryKey: true}
        ---
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Ärger, zone: USA, team: Analytics}
        spec:
          datasetGroups:
            - name: "my-group"
              platform: {name: YellowLive}
              sinks: [{datastore: Customers, dataset: customers}]
          transformer:
            name: "T'1"
            trigger: {external: true}
            code: {python: {module: acme.t}}
            output: {name: "out put"}
        """
    )
    assert [(p.code, p.line, p.column) for p in model.problems] == [
        ("invalid-name", 6, 13),  # dataset
        ("invalid-name", 8, 18),  # column
        ("invalid-name", 12, 18),  # workspace
        ("invalid-name", 15, 13),  # dataset group
        ("invalid-name", 19, 11),  # transformer
        ("invalid-name", 22, 20),  # transformer output datastore
    ]


def test_invalid_names_of_labels() -> None:
    model = load(
        {
            "ecosystem.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: Ecosystem
            metadata: {name: Acme}
            spec:
              classifications: [pc1, pc3]
              vendors:
                - name: "AWS cloud"
                  cloud: aws
                  locations:
                    - name: us-east-1
                      locations: [{name: "az 1"}]
              platforms:
                - name: "Yellow;"
                  dataPlatforms: [{name: YellowLive, retention: live-only}, {name: "9live", retention: forensic}]
              zones: [{name: USA}]
            """,
            "zones/usa/zone.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: GovernanceZone
            metadata: {name: USA}
            spec:
              teams: [{name: FrontOffice}, {name: Analytics}, {name: "Ops team"}]
            """,
        }
    )
    assert [
        (p.file, p.code, p.line, p.column) for p in model.problems if p.severity == "error"
    ] == [
        ("ecosystem.yaml", "invalid-name", 7, 13),  # vendor
        ("ecosystem.yaml", "invalid-name", 11, 30),  # nested location
        ("ecosystem.yaml", "invalid-name", 13, 13),  # platform provider
        ("ecosystem.yaml", "invalid-name", 14, 72),  # data platform
        ("zones/usa/zone.yaml", "invalid-name", 5, 58),  # team
    ]
    assert "letters, digits, '_', '.' or '-'" in model.problems[0].message
    # the declared team has no Team document either: that is a warning of its own
    assert where(only(model, "team-not-defined")) == (
        WARNING,
        "team-not-defined",
        "zones/usa/zone.yaml",
        5,
        51,
    )


@pytest.mark.parametrize("word", ["select", "User", "ORDER", "table"])
def test_reserved_name(word: str) -> None:
    model = case(
        f"""\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {{name: Orders, zone: USA, team: FrontOffice}}
        spec:
          datasets:
            - name: orders
              columns:
                - {{name: id, type: bigint, primaryKey: true}}
                - {{name: {word}, type: text}}
        """
    )
    problem = single(model)
    assert where(problem) == (ERROR, "reserved-name", CASE, 9, 18)
    assert problem.message == f"{word!r} is an SQL reserved word and cannot be used as a name"


# --- zone policies ------------------------------------------------------------------------------


def test_policy_unknown_vendor_and_location() -> None:
    model = load(
        {
            "zones/usa/zone.yaml": """\
            apiVersion: ecoplane.io/v1
            kind: GovernanceZone
            metadata: {name: USA}
            spec:
              teams: [{name: FrontOffice}, {name: Analytics}]
              policies:
                storage:
                  vendors: [AWS, GCP]
                  locations:
                    - "AWS:us-east-1/use1-az1"
                    - "AWS:eu-west-1"
                    - us-east-1
            """
        }
    )
    # AWS and the nested AWS:us-east-1/use1-az1 are declared by the ecosystem
    assert [where(p) for p in model.problems] == [
        (ERROR, "policy-unknown-vendor", "zones/usa/zone.yaml", 8, 22),
        (ERROR, "policy-unknown-location", "zones/usa/zone.yaml", 11, 11),
        (ERROR, "policy-unknown-location", "zones/usa/zone.yaml", 12, 11),
    ]
    assert "vendor 'GCP'" in model.problems[0].message
    assert "location 'AWS:eu-west-1'" in model.problems[1].message


# --- many problems at once ----------------------------------------------------------------------


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
