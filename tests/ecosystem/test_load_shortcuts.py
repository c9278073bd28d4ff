"""The loader's shortcuts give what the long way gives: node counts, and columns built once."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_rs
from pydantic import ValidationError

from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.limits import (
    ENTRY_NODES,
    ModelLimits,
    ModelTooLargeError,
    NodeBudget,
    count_nodes,
    most_nodes,
)
from app.ecosystem.loader import load_texts
from app.ecosystem.sources import ALIAS_LIMITS, file_bytes
from app.ecosystem.spec.datastore import SHARED_COLUMNS, Dataset, written_key
from tests.ecosystem.modeltext import files

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


# The densest YAML found: each several nodes to few bytes (null keys and values, empty flows)
DENSE = ["- ?\n" * 50, "[? ]", "a:\nb:\nc:\n", "[[[[[[[[]]]]]]]]", "-\n" * 40, "{a, b, c}",
         "[?,?,?]", "[{?},{?}]", "? ?\n", "- - - - - -\n", "[[],[],[]]", "{a: , b: }"]  # fmt: skip


def test_text_without_an_anchor_parses_to_no_more_nodes_than_its_bound(tmp_path: Path) -> None:
    rng = random.Random(6)
    texts = [*DENSE, *(path.read_text() for path in _model_files(tmp_path))]
    for _ in range(500):
        value = _random_value(rng)
        texts.append(yaml.safe_dump(value, default_flow_style=rng.choice([True, False, None])))
    for text in texts:
        raw = text.encode()
        documents = [yaml_rs.loads(text, parse_datetime=False, alias_limits=ALIAS_LIMITS)]
        counted = ENTRY_NODES + 1 + sum(ENTRY_NODES + count_nodes(d, 10**9) for d in documents)
        assert counted <= most_nodes(len(raw), 1), text
        assert not NodeBudget(ModelLimits(), len(raw), 1).counts(raw) or b"&" in raw
    streams = "---\na\n" * 1000  # documents, each its entry
    assert most_nodes(len(streams), 1) >= 1000 * (ENTRY_NODES + 1) + ENTRY_NODES + 1


def test_only_text_that_could_hold_an_anchor_is_counted_when_the_whole_is_bounded() -> None:
    bounded = NodeBudget(ModelLimits(max_model_nodes=10**6), 10_000, 10)
    assert bounded.bounded and bounded.used == most_nodes(10_000, 10)
    assert not bounded.counts(b'trigger: {cron: "*/5 * * * *"}\nnote: a * b & c\n')
    for anchored in (b"a: &x [1]\nb: *x\n", b'a: &"x 1\nb: *"x\n', b"a: !!str &x [1]"):
        assert bounded.counts(anchored)
    unbounded = NodeBudget(ModelLimits(max_model_nodes=1000), 10_000, 10)
    assert not unbounded.bounded and unbounded.used == 0
    assert unbounded.counts(b"a: 1\n")


def test_an_alias_bomb_is_counted_and_refused_beside_text_that_is_not() -> None:
    plain = files({f"zones/usa/note{i}.yaml": f"# note {i}: [1, 2, 3]\n" for i in range(20)})
    items = ", ".join(str(i) for i in range(1000))
    bomb = f"a: &a [{items}]\nb: [" + ", ".join(["*a"] * 150) + "]\n"  # 150,000 nodes
    limit = 100_000
    sizes = [len(file_bytes(text)) for text in [*plain.values(), bomb]]
    assert most_nodes(sum(sizes), len(sizes)) <= limit  # the whole is bounded: only the bomb counts
    with pytest.raises(ModelTooLargeError, match="more than 100000 YAML nodes"):
        load_texts({**plain, "bomb.yaml": bomb}, ModelLimits(max_model_nodes=limit))
    assert load_texts(plain, ModelLimits(max_model_nodes=limit)).errors == 0  # read, not refused


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
