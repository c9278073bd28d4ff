"""What the rule tests share: every validation rule of MODEL.md is tested by a minimal broken model
and where its problem is reported; one test module per rule module of `app/ecosystem/validate`.

Each case is the valid base model of `modeltext` plus (or with one file replaced by) the YAML
written in the test. Lines and columns are 1-based and point at the offending node; a
`# <- line:column` comment marks it in the YAML when the line is not obvious.
"""

from __future__ import annotations

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.ecosystem.problems import Problem, Severity
from tests.ecosystem.modeltext import files

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
