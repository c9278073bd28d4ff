"""Reading documents (`app/ecosystem/sources.py`, `envelope.py`): YAML syntax, kinds, unknown
and missing fields, wrong types and invalid values.

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

import pytest

from tests.ecosystem.validate.base import CASE, ERROR, case, codes, single, where


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
