"""The loader's shortcuts give what the long way gives: node counts, and columns built once."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.limits import count_nodes
from app.ecosystem.loader import load_texts
from app.ecosystem.spec.datastore import SHARED_COLUMNS, Dataset, written_key

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _every_node(data: Any) -> int:
    """The long way: every key, value and item popped and counted one by one."""
    count, pending = 0, [data]
    while pending:
        value = pending.pop()
        count += 1
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(6 if depth < 4 else 3)
    if choice == 0:
        return rng.choice(["a", "", "id", "bigint"])
    if choice == 1:
        return rng.choice([None, True, False, 0, 1, 1.0, -2])
    if choice == 2:
        return rng.choice([[], {}])
    if choice in (3, 4):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randrange(4))}


def _model_files(tmp_path: Path) -> list[Path]:
    generate_model(tmp_path, GeneratorSize(datastores=4, workspaces=3, transformers=1))
    return sorted([*EXAMPLES.rglob("*.yaml"), *tmp_path.rglob("*.yaml")])


def test_nodes_are_counted_as_one_by_one(tmp_path: Path) -> None:
    rng = random.Random(22)
    values = [_random_value(rng) for _ in range(2000)]
    for path in _model_files(tmp_path):
        values.extend(yaml.safe_load_all(path.read_text()))
    assert len(values) > 2000 + 20
    for value in values:
        total = _every_node(value)
        assert count_nodes(value, 10**9) == total
        for stop in (1, total // 2 + 1, total):  # never more than asked for, all when in reach
            assert count_nodes(value, stop) == min(stop, total)


def _random_column(rng: random.Random) -> dict[Any, Any]:
    column: dict[Any, Any] = {"name": rng.choice(["id", "a", 1, True]), "type": "bigint"}
    for key, choices in (
        ("primaryKey", [True, False, 1, 0, 1.0, "yes", "maybe", None]),
        ("primary_key", [True, 0]),
        ("nullable", [True, False, None, 1, "no"]),
        ("classification", [[], ["pc1"], ["pc1", "pii"], [1], [True], "pc1", [["x"]]]),
        ("description", ["d", 1, None, {"a": 1}]),
        ("unknown", [1]),
    ):
        if rng.random() < 0.3:
            column[key] = rng.choice(choices)
    return column


def _built(dataset: dict[str, Any], context: dict[str, Any] | None) -> Any:
    try:
        return Dataset.model_validate(dataset, context=context).model_dump()
    except ValidationError as error:
        return [(e["loc"], e["type"]) for e in error.errors()]


def test_columns_written_alike_are_built_once_and_as_pydantic_builds_them() -> None:
    rng = random.Random(7)
    context: dict[str, Any] = {SHARED_COLUMNS: {}}  # one load's table across every dataset
    for _ in range(3000):
        columns = [_random_column(rng) for _ in range(rng.randrange(1, 4))]
        dataset = {"name": "d", "columns": columns}
        assert _built(dataset, context) == _built(dataset, None)
    again = Dataset.model_validate(
        {"name": "e", "columns": [{"name": "id", "type": "bigint", "primaryKey": True}]},
        context=context,
    )
    first = Dataset.model_validate(
        {"name": "f", "columns": [{"name": "id", "type": "bigint", "primaryKey": True}]},
        context=context,
    )
    assert again.columns[0] is first.columns[0]


def test_keys_tell_value_types_apart() -> None:
    assert written_key({"primaryKey": True}) != written_key({"primaryKey": 1})
    assert written_key({"classification": ["a"]}) == written_key({"classification": ["a"]})
    assert written_key({"classification": [True]}) != written_key({"classification": [1]})
    assert written_key({"description": {"a": 1}}) is None
    assert written_key(["name"]) is None


STORE = """apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {{name: {name}, zone: z, team: t}}
spec:
  datasets:
    - name: d
      columns:
        - {{name: id, type: bigint, primaryKey: true}}
        - {column}
"""


@pytest.mark.parametrize(
    ("column", "code", "line"),
    [("{name: id, type: bigint, primaryKey: true, colour: red}", "unknown-field", 9),
     ("{name: id, type: bigint}", "duplicate-name", 9),
     ("{name: xmin, type: bigint}", "system-column-name", 9)],
)  # fmt: skip
def test_a_column_after_known_ones_is_checked_with_its_place(
    column: str, code: str, line: int
) -> None:
    good = STORE.format(name="first", column="{name: xmin2, type: text}")
    model = load_texts({"a.yaml": good, "b.yaml": STORE.format(name="second", column=column)})
    found = [(p.code, p.file, p.line) for p in model.problems if p.severity == "error"]
    assert (code, "b.yaml", line) in found
    assert not [p for p in model.problems if p.file == "a.yaml" and p.code == code]
