"""Problems point at the offending node: the right document, key or value, line and column."""

from __future__ import annotations

from app.ecosystem.loader import load_texts
from app.ecosystem.problems import Problem
from tests.ecosystem.modeltext import BASE

TWO_TEAMS = """\
apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: FrontOffice, zone: USA}
spec: {}
---
# the second document starts here
apiVersion: ecoplane.io/v1
kind: Team
metadata:
  name: Analytics
  zone: USA
  colour: blue
spec: {}
"""


def _problems(extra: dict[str, str]) -> list[Problem]:
    return load_texts({**BASE, **extra}).problems


def test_unknown_field_points_at_the_key_in_the_right_document() -> None:
    (problem,) = _problems({"zones/usa/teams.yaml": TWO_TEAMS})
    assert (problem.code, problem.file, problem.line, problem.column) == (
        "unknown-field",
        "zones/usa/teams.yaml",
        12,
        3,
    )
    assert problem.path == "Team/Analytics/metadata/colour"


def test_missing_field_points_at_the_mapping_that_lacks_it() -> None:
    text = "apiVersion: ecoplane.io/v1\nkind: Team\nmetadata:\n  zone: USA\n"
    (problem,) = _problems({"extra.yaml": text})
    assert (problem.code, problem.line, problem.column) == ("missing-field", 4, 3)
    assert "missing field 'name'" in problem.message


def test_wrong_type_points_at_the_value() -> None:
    text = BASE["zones/usa/customers.yaml"].replace(
        "primaryKey: true, nullable: false", "primaryKey: maybe"
    )
    (problem,) = _problems({"zones/usa/customers.yaml": text})
    assert (problem.code, problem.line, problem.column) == ("wrong-type", 18, 48)
    assert problem.path == "Datastore/Customers/datasets/customers/columns/id/primaryKey"


def test_many_problems_in_many_files_are_all_reported_in_order() -> None:
    problems = _problems(
        {
            "a.yaml": "apiVersion: ecoplane.io/v2\nkind: Team\n",
            "b.yaml": "apiVersion: ecoplane.io/v1\nkind: Dashboard\n---\n- just a list\n",
        }
    )
    found = [(p.file, p.line, p.code) for p in problems]
    assert found == [
        ("a.yaml", 1, "unknown-api-version"),
        ("b.yaml", 2, "unknown-kind"),
        ("b.yaml", 4, "document-not-mapping"),
    ]
