"""Rules on owners (`validate/owners.py`): free text is a warning, a malformed identity an error.

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

from app.ecosystem.loader import load_directory
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import ECOSYSTEM
from tests.ecosystem.validate.base import ERROR, WARNING, codes, load, where

ZONE_WITH_TEAM_OWNERS = """\
apiVersion: ecoplane.io/v1
kind: GovernanceZone
metadata: {name: USA}
spec:
  teams:
    - name: FrontOffice
      owners:
        - github:alice
        - frontoffice data team   # <- 9:11
    - name: Analytics
      owners: ["github:@acme/analytics", "github:@acme"]   # <- 11:42
"""


def test_owner_entries_of_teams_are_checked_where_they_are_written() -> None:
    model = load({"zones/usa/zone.yaml": ZONE_WITH_TEAM_OWNERS})
    assert [where(p) for p in model.problems] == [
        (WARNING, "owner-not-an-identity", "zones/usa/zone.yaml", 9, 11),
        (ERROR, "invalid-owner", "zones/usa/zone.yaml", 11, 42),
    ]
    warning, error = model.problems
    assert warning.path == "GovernanceZone/USA/teams/FrontOffice/owners"
    assert "owner 'frontoffice data team' is free text" in warning.message
    assert error.path == "GovernanceZone/USA/teams/Analytics/owners"
    assert "owner 'github:@acme' is malformed" in error.message
    assert "expected github:<user>, github:@<org>/<team>, gitlab:<user>" in error.message


def test_owner_entries_of_the_ecosystem_and_its_zones_are_checked() -> None:
    ecosystem = ECOSYSTEM.replace(
        "spec:\n", "spec:\n  owners: [governance office, 'email:gov@acme']\n", 1
    ).replace('owners: ["github:@acme/usa-governance"]', "owners: [usa-governance]")
    model = load({"ecosystem.yaml": ecosystem})
    assert [where(p) for p in model.problems] == [
        (WARNING, "owner-not-an-identity", "ecosystem.yaml", 6, 12),
        (ERROR, "invalid-owner", "ecosystem.yaml", 6, 31),
        (WARNING, "owner-not-an-identity", "ecosystem.yaml", 22, 16),
    ]
    assert [p.path for p in model.problems] == [
        "Ecosystem/owners",
        "Ecosystem/owners",
        "Ecosystem/zones/USA/owners",
    ]
    assert "'gov@acme' is not a valid email address" in model.problems[1].message


def test_identities_raise_no_problem() -> None:
    ecosystem = ECOSYSTEM.replace(
        "spec:\n", "spec:\n  owners: ['gitlab:@acme/gov/office', 'email:gov@acme.example']\n", 1
    )
    assert codes(load({"ecosystem.yaml": ecosystem})) == []


def test_acme_owners_are_all_identities() -> None:
    model = load_directory(EXAMPLES / "acme")
    assert model.problems == []
    assert model.ecosystem is not None and model.ecosystem.spec.owners
