"""docs/model.md stays in step with the code: every problem code and diff rule is documented."""

from __future__ import annotations

import re
from pathlib import Path

from app.ecosystem.changes import RULES

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "model.md").read_text()
REPORTED = re.compile(
    r"""problems\.(?:error|warning|add)\(\s*(?:[\w.]+,\s*)?"([a-z]+(?:-[a-z]+)+)\""""
)


def _codes_in_code() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "app" / "ecosystem").rglob("*.py"):
        codes |= set(REPORTED.findall(path.read_text()))
    return codes


def test_every_problem_code_is_documented() -> None:
    codes = _codes_in_code()
    assert len(codes) > 40, "the pattern no longer finds the codes"
    missing = sorted(code for code in codes if f"`{code}`" not in DOC)
    assert missing == []


def test_every_diff_rule_is_documented() -> None:
    missing = sorted(rule for rule in RULES if f"`{rule}`" not in DOC)
    assert missing == []


def test_every_model_table_column_is_documented() -> None:
    from app.ecosystem.model_tables import MODEL_TABLES

    builtins = DOC[
        DOC.index("| dataset | primary key | other columns |") :
    ]  # the table in Builtins
    for name, table in MODEL_TABLES.items():
        line = next((row for row in builtins.splitlines() if row.startswith(f"| `{name}` |")), "")
        missing = [c.name for c in table.columns if c.name not in line]
        assert line and missing == [], (name, missing)
