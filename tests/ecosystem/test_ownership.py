"""The owning-team rule (`app/ecosystem/ownership.py`): who answers for each entity and file."""

from __future__ import annotations

from app.ecosystem.builtins import EXPORT_TRANSFORMER, MODEL_DATASTORE
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from app.ecosystem.owners import Owner
from app.ecosystem.ownership import entities_by_file, owners_by_file, owners_of, owners_of_file
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import ECOSYSTEM, ZONE, files

ECOSYSTEM_OWNED = ECOSYSTEM.replace("spec:\n", "spec:\n  owners: ['github:@acme/gov']\n", 1)
BOTH_TEAMS = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: Leads, zone: USA, team: FrontOffice}
spec: {productionStatus: not-production, datasets: [{name: leads, columns: [{name: id, type: bigint, primaryKey: true}]}]}
---
apiVersion: ecoplane.io/v1
kind: Workspace
metadata: {name: LeadScoring, zone: USA, team: Analytics}
spec: {productionStatus: not-production}
"""


def model(extra: dict[str, str | None] | None = None) -> Model:
    loaded = load_texts(files({"ecosystem.yaml": ECOSYSTEM_OWNED, **(extra or {})}))
    assert loaded.problems == [], [p.as_line() for p in loaded.problems]
    return loaded


def names(owners: tuple[Owner, ...]) -> list[str]:
    return [str(o) for o in owners]


def test_datastores_workspaces_and_transformers_belong_to_their_team() -> None:
    m = model()
    assert names(owners_of(m, m.datastores["Customers"])) == ["github:alice"]
    assert names(owners_of(m, m.workspaces["CustomerAnalytics"])) == ["github:bob"]
    assert names(owners_of(m, m.transformers["MaskCustomers"])) == ["github:bob"]
    assert names(owners_of(m, m.datastores["MaskedCustomers"])) == ["github:bob"]  # its output


def test_a_team_belongs_to_its_zone_a_zone_and_the_ecosystem_to_the_ecosystem() -> None:
    m = model()
    team = m.team("USA", "FrontOffice")
    assert team is not None and m.ecosystem is not None
    assert names(owners_of(m, team)) == ["github:@acme/usa-governance"]
    assert names(owners_of(m, m.zones["USA"])) == ["github:@acme/gov"]
    assert names(owners_of(m, m.ecosystem)) == ["github:@acme/gov"]


def test_without_identities_of_its_own_responsibility_goes_up() -> None:
    zone = ZONE.replace('owners: ["github:alice"]', "owners: [alice from sales]")
    m = load_texts(files({"ecosystem.yaml": ECOSYSTEM_OWNED, "zones/usa/zone.yaml": zone}))
    assert [p.code for p in m.problems] == ["owner-not-an-identity"]
    # FrontOffice names no identity: its zone answers for its datastore
    assert names(owners_of(m, m.datastores["Customers"])) == ["github:@acme/usa-governance"]
    ecosystem = ECOSYSTEM_OWNED.replace('owners: ["github:@acme/usa-governance"]', "owners: []")
    m = load_texts(files({"ecosystem.yaml": ecosystem, "zones/usa/zone.yaml": zone}))
    # and a zone without identities leaves it to the Ecosystem
    assert names(owners_of(m, m.datastores["Customers"])) == ["github:@acme/gov"]


def test_builtins_are_the_ecosystem_owners() -> None:
    m = model()
    assert names(owners_of(m, m.datastores[MODEL_DATASTORE])) == ["github:@acme/gov"]
    assert names(owners_of(m, m.transformers[EXPORT_TRANSFORMER])) == ["github:@acme/gov"]


def test_a_file_of_several_entities_is_owned_by_the_union_of_their_owners() -> None:
    m = model({"zones/usa/leads.yaml": BOTH_TEAMS})
    assert names(owners_of_file(m, "zones/usa/leads.yaml")) == ["github:alice", "github:bob"]
    assert names(owners_of_file(m, "zones/usa/teams.yaml")) == ["github:@acme/usa-governance"]
    assert names(owners_of_file(m, "zones/usa/zone.yaml")) == ["github:@acme/gov"]
    assert names(owners_of_file(m, "ecosystem.yaml")) == ["github:@acme/gov"]
    # a file that declares nothing (yet) is the Ecosystem's
    assert names(owners_of_file(m, "zones/usa/new.yaml")) == ["github:@acme/gov"]


def test_every_file_is_mapped_and_builtins_have_no_file() -> None:
    m = model()
    assert sorted(entities_by_file(m)) == sorted(files())
    assert owners_by_file(m)["zones/usa/analytics.yaml"] == owners_of(
        m, m.workspaces["CustomerAnalytics"]
    )


def test_acme_files_each_have_owners() -> None:
    acme = load_directory(EXAMPLES / "acme")
    by_file = owners_by_file(acme)
    assert len(by_file) == 41 and all(by_file.values())
    assert names(by_file["zones/EU/teams/Analytics/experiments.yaml"]) == [
        "github:@acme/eu-analytics",
        "github:mateo-rossi",
    ]
