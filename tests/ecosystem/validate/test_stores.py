"""Rules on datastores, their datasets and columns (`validate/stores.py`): keys, types, crons,
classifications, deprecation, and names that cannot become SQL identifiers.

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

import pytest

from app.ecosystem.coltypes import ACCEPTED_FORMS
from tests.ecosystem.validate.base import CASE, ERROR, WARNING, case, load, single, where


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
