"""A verdict's status description fits the forge's limit without naming a cut identity."""

from __future__ import annotations

from app.ecosystem.approvals import Assessment, Owning, Requirement
from app.ecosystem.owners import identities
from app.ecosystem.problems import Problem, Severity
from app.forges.verdict import build_verdict

URL = "https://ecoplane.example/api/v1/checks/1"
LONG = ["github:@acme/frontoffice-data", "github:daniel-kim", "email:sarah.oconnor@acme.example"]


def _needing(*labels: str) -> Assessment:
    """An assessment that needs the approval of the long owners of each team label."""
    needed = [Requirement(Owning(label, identities(LONG)), ["changes it"]) for label in labels]
    return Assessment([], [], list(labels), needed)


def test_a_description_that_fits_is_posted_whole() -> None:
    verdict = build_verdict(_needing("team USA/Risk"), [], {}, URL)
    assert verdict.description_within(255) == verdict.description
    assert verdict.description.startswith("needs approval from github:@acme/frontoffice-data")


def test_owners_too_long_for_the_limit_give_way_to_their_teams() -> None:
    verdict = build_verdict(_needing("team USA/FrontOffice", "team USA/Compliance"), [], {}, URL)
    assert len(verdict.description) > 140  # cut at 140, it named "email:sarah.o"
    assert verdict.description_within(140) == (
        "needs approval from owners of team USA/FrontOffice, team USA/Compliance"
    )


def test_teams_too_many_for_the_limit_are_counted() -> None:
    labels = [f"team USA/Desk{n:02}" for n in range(12)]
    short = build_verdict(_needing(*labels), [], {}, URL).description_within(140)
    assert len(short) <= 140 and short.endswith("team USA/Desk04 and 7 more")
    assert short.startswith("needs approval from owners of team USA/Desk00, team USA/Desk01")


def test_errors_are_described_by_their_count_whatever_the_approvals() -> None:
    error = Problem(Severity.ERROR, "model-unreadable", "no YAML", "", "")
    verdict = build_verdict(_needing("team USA/FrontOffice"), [error], {}, URL)
    assert verdict.description_within(140) == "the model has 1 errors"
    assert verdict.description_within(10) == "the model…"
