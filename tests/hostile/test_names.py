"""Hostile names: what would make two entities share a warehouse object, or fail to be stored.

Every case is refused at validation with a located problem naming what is wrong (and, for a
collision, both entities); the desired state of the sync refuses a colliding model given to it
directly, instead of skipping one of the entities without an error.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.tables import VersionState
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.ecosystem.names import transformer_role, workspace_schema
from app.ecosystem.problems import Problem
from app.security.desired import NameCollisionError, desired_state
from tests.ecosystem.modeltext import files

COLLISION = "physical-name-collision"

# Vault's dataset secrets__ssn is pc3; Vault__secrets's ssn is public: both would be
# raw.vault__secrets__ssn, and a workspace denied pc3 could sink the second and read the first
VAULT = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Vault, zone: USA, team: FrontOffice}
spec:
  ingestion: {kind: external, trigger: {external: true}}
  datasets:
    - name: secrets__ssn
      classification: [pc3]
      columns:
        - {name: ssn, type: text, primaryKey: true}
---
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Vault__secrets, zone: USA, team: FrontOffice}
spec:
  ingestion: {kind: external, trigger: {external: true}}
  datasets:
    - name: ssn                        # <- 18:13
      classification: [pub]
      columns:
        - {name: ssn, type: text, primaryKey: true}
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: Leaky, zone: USA, team: Analytics}
spec:
  datasetGroups:
    - name: main
      platform: {name: YellowLive}
      sinks:
        - {datastore: Vault__secrets, dataset: ssn}
"""


def load(text: str) -> Model:
    """The base model plus `case.yaml`."""
    return load_texts(files({"case.yaml": text}))


def problems(model: Model, code: str) -> list[Problem]:
    return [p for p in model.problems if p.code == code]


def located(problem: Problem) -> tuple[str, int, int]:
    return problem.file, problem.line, problem.column


def workspace(name: str, transformer: str | None = None, output: str = "Out") -> str:
    """A workspace sinking Customers.customers, with a transformer when named."""
    lines = [
        "apiVersion: ecoplane.io/v1",
        "kind: Workspace",
        f"metadata: {{name: {name}, zone: USA, team: Analytics}}",
        "spec:",
        "  datasetGroups:",
        "    - name: main",
        "      platform: {name: YellowLive}",
        "      sinks: [{datastore: Customers, dataset: customers}]",
    ]
    if transformer is not None:
        lines += [
            "  transformer:",
            f"    name: {transformer}",
            '    trigger: {cron: "0 * * * *"}',
            '    code: {container: {image: "ghcr.io/acme/t:1", command: [t]}}',
            "    output:",
            f"      name: {output}",
            "      datasets:",
            "        - name: rows",
            "          classification: [pub]",
            "          columns: [{name: id, type: bigint, primaryKey: true}]",
        ]
    return "\n".join(lines) + "\n"


# --- names one-to-one -------------------------------------------------------------------------


def test_vault_and_vault_secrets_sharing_a_raw_table_is_an_error_naming_both() -> None:
    model = load(VAULT)
    [problem] = problems(model, COLLISION)
    assert located(problem) == ("case.yaml", 18, 13)
    assert problem.path == "Datastore/Vault__secrets/datasets/ssn"
    assert "datastore 'Vault__secrets' dataset 'ssn'" in problem.message
    assert "datastore 'Vault' dataset 'secrets__ssn'" in problem.message
    assert "vault__secrets__ssn" in problem.message


def test_the_sync_refuses_the_vault_model_given_directly_instead_of_building_the_view() -> None:
    model = load(VAULT)  # its errors would keep it from being activated: bypass that
    with pytest.raises(NameCollisionError) as refused:
        desired_state(model)
    detail = refused.value.detail
    assert "datastore 'Vault' dataset 'secrets__ssn'" in detail
    assert "datastore 'Vault__secrets' dataset 'ssn'" in detail
    assert "raw.vault__secrets__ssn" in detail
    assert refused.value.status == 409


def test_names_differing_in_case_and_separator_collide() -> None:
    model = load(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: Sales, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: EU__Orders
              columns: [{name: id, type: bigint, primaryKey: true}]
        ---
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: sales__eu, zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: orders
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    [problem] = problems(model, COLLISION)
    assert "'Sales' dataset 'EU__Orders'" in problem.message
    assert "'sales__eu' dataset 'orders'" in problem.message
    assert problem.path == "Datastore/sales__eu/datasets/orders"


def test_a_hand_written_hashed_workspace_name_collides_and_the_sync_refuses_it() -> None:
    long = "Analytics" + "x" * 54  # 63 characters: `ws_` makes it long, so it is hashed
    schema = workspace_schema(long)
    forged = schema.removeprefix("ws_")  # what someone writes to get that very schema
    assert len(schema) == 63 and forged != long.lower()
    model = load_texts(files({"a.yaml": workspace(long), "b.yaml": workspace(forged)}))
    [problem] = problems(model, COLLISION)
    assert problem.file == "b.yaml" and problem.path == f"Workspace/{forged}"
    assert f"workspace {forged!r}" in problem.message
    assert f"workspace {long!r} (declared in a.yaml)" in problem.message
    assert f"schema {schema}" in problem.message
    with pytest.raises(NameCollisionError, match=f"schema {schema}"):
        desired_state(model)  # it used to skip the second workspace without an error


def test_transformers_sharing_a_credentials_secret_collide() -> None:
    model = load_texts(
        files(
            {
                "a.yaml": workspace("A", "Mask__Rows", "OutA"),
                "b.yaml": workspace("B", "Mask_Rows", "OutB"),
            }
        )
    )
    [problem] = problems(model, COLLISION)
    assert (problem.file, problem.path) == ("b.yaml", "Workspace/B/transformer")
    assert "transformer 'Mask_Rows' and transformer 'Mask__Rows'" in problem.message
    assert "credentials Secret ecoplane-dt-mask-rows" in problem.message
    with pytest.raises(NameCollisionError, match="credentials Secret ecoplane-dt-mask-rows"):
        desired_state(model)


def test_a_transformer_colliding_with_the_builtin_externalize_model_is_reported_at_the_user() -> (
    None
):
    model = load(workspace("Exporter", "externalize__model"))
    [problem] = problems(model, COLLISION)
    assert problem.path == "Workspace/Exporter/transformer"
    assert "transformer 'externalize_model' (a builtin of ecoplane)" in problem.message
    assert located(problem)[0] == "case.yaml"


def test_the_sync_refuses_roles_that_only_the_deployment_role_prefix_makes_meet() -> None:
    long = "Mask" + "x" * 56  # dt_<long> is 63 bytes; with the prefix p_ it is hashed
    forged = transformer_role(long, "p_").removeprefix("p_dt_")
    model = load_texts(
        files({"a.yaml": workspace("A", long, "OutA"), "b.yaml": workspace("B", forged, "OutB")})
    )
    assert problems(model, COLLISION) == []  # the model's own names are one-to-one
    desired_state(model)  # and so are the roles without a prefix
    with pytest.raises(NameCollisionError) as refused:
        desired_state(model, role_prefix="p_")
    assert f"transformer {long!r}" in refused.value.detail
    assert f"transformer {forged!r}" in refused.value.detail
    assert f"role {transformer_role(long, 'p_')}" in refused.value.detail


def test_the_sync_refuses_two_sinks_of_one_workspace_that_would_share_a_view() -> None:
    sinks = "[{datastore: Sales__eu, dataset: rows}, {datastore: Sales, dataset: eu__rows}]"
    reader = workspace("Reader").replace("[{datastore: Customers, dataset: customers}]", sinks)
    texts: dict[str, str | None] = {
        "a.yaml": workspace("A", "MakeA", "Sales__eu"),
        "b.yaml": workspace("B", "MakeB", "Sales").replace("- name: rows", "- name: eu__rows"),
        "c.yaml": reader,
    }
    model = load_texts(files(texts))
    assert any("sales__eu__rows" in p.message for p in problems(model, COLLISION))
    with pytest.raises(NameCollisionError) as refused:  # given directly, bypassing validation
        desired_state(model)
    assert refused.value.detail.startswith(
        "workspace 'Reader''s sink 'Sales.eu__rows' and workspace 'Reader''s sink 'Sales__eu.rows'"
        " would both have the view ws_reader.sales__eu__rows"
    )


# --- what the warehouse cannot store ----------------------------------------------------------


@pytest.mark.parametrize("name", ["xmin", "CTID", "tableoid", "oid", "cmax"])
def test_a_system_column_name_is_a_located_error(name: str) -> None:
    model = load(
        f"""\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {{name: Ledger, zone: USA, team: FrontOffice}}
        spec:
          datasets:
            - name: entries
              columns:
                - {{name: id, type: bigint, primaryKey: true}}
                - {{name: {name}, type: text}}
        """
    )
    [problem] = problems(model, "system-column-name")
    assert located(problem) == ("case.yaml", 9, 18)
    assert problem.path == f"Datastore/Ledger/datasets/entries/columns/{name}"
    assert f"column {name!r}" in problem.message and "system column" in problem.message


def test_a_system_column_in_a_transformer_output_is_a_located_error() -> None:
    text = workspace("W", "T").replace("{name: id, type: bigint", "{name: XMax, type: bigint")
    [problem] = problems(load(text), "system-column-name")
    assert problem.path == "Workspace/W/transformer/output/datasets/rows/columns/XMax"


def test_a_nul_in_a_description_or_a_label_key_is_a_located_error() -> None:
    model = load(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata:
          name: Notes
          zone: USA
          team: FrontOffice
          description: "a\\0b"
          labels: {"owner\\x00": x}
        spec:
          datasets:
            - name: notes
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    assert [(p.code, p.line, p.column, p.path) for p in model.problems] == [
        ("nul-character", 7, 16, "Datastore/Notes/metadata/description"),
        ("nul-character", 8, 12, "Datastore/Notes/metadata/labels/owner\\0"),
    ]
    assert "description holds a NUL character" in model.problems[0].message


def test_a_nul_in_a_name_is_a_located_error() -> None:
    model = load(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: "Vault\\u0000x", zone: USA, team: FrontOffice}
        spec:
          datasets:
            - name: ssn
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    [problem] = problems(model, "nul-character")
    assert located(problem) == ("case.yaml", 3, 18)
    assert problem.path == "Datastore/Vault\\0x/metadata/name"
    assert all("\x00" not in p.message + p.path for p in model.problems)


async def test_a_model_with_nul_characters_is_stored_as_rejected(engine: AsyncEngine) -> None:
    model = load(
        """\
        apiVersion: ecoplane.io/v1
        kind: Datastore
        metadata: {name: "Bad\\0Name", zone: USA, team: FrontOffice, description: "\\0"}
        spec:
          datasets:
            - name: "rows\\0"
              columns: [{name: id, type: bigint, primaryKey: true}]
        """
    )
    stored = await store_model(engine, model, source="hostile")
    assert stored.state is VersionState.REJECTED
    assert stored.counts["problems"] == len(model.problems) >= 3


def test_tables_over_postgres_column_limits_are_errors() -> None:
    columns = "\n".join(
        f"        - {{name: c{i}, type: integer, primaryKey: {'true' if i < 33 else 'false'}}}"
        for i in range(1601)
    )
    text = (
        "apiVersion: ecoplane.io/v1\nkind: Datastore\n"
        "metadata: {name: Wide, zone: USA, team: FrontOffice}\n"
        "spec:\n  datasets:\n    - name: wide\n      columns:\n" + columns + "\n"
    )
    found = problems(load_texts({**files(), "case.yaml": text}), "too-many-columns")
    assert [p.message for p in found] == [
        "dataset 'wide' has 1601 columns; a PostgreSQL table has at most 1600",
        "dataset 'wide' has 33 primary key columns; a PostgreSQL table has at most 32",
    ]
    assert {located(p) for p in found} == {("case.yaml", 6, 13)}
