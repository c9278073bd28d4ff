"""Rules on the ecosystem, its zones, teams, labels and policies (`validate/governance.py`).

See `base` for how a case is written and where its problem is reported.
"""

from __future__ import annotations

from tests.ecosystem.validate.base import CASE, ERROR, WARNING, case, load, only, single, where


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
                  owners: ["github:@acme/emea-governance"]
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
                - {name: Trading, owners: ["github:carol"]}
            """
        }
    )
    problem = single(model)
    assert where(problem) == (WARNING, "team-not-defined", "zones/usa/zone.yaml", 8, 7)
    assert "team 'Trading' of zone 'USA'" in problem.message


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
