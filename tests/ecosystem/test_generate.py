"""The example generator: the same seed writes the same model, byte for byte, across releases."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.ecosystem.generate import Candidates, GeneratorSize, generate_model

# The digest of the default size (seed 1), as written before generation was made linear: the
# benchmarks and the tests that name generated entities rely on it staying the same.
DEFAULT_MODEL_SHA256 = "411a72b5deac521df975751dfe54d094cc4813c835f4619943e10040dc9a3869"


def _digest(root: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        total.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return total.hexdigest()


def test_the_default_model_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    assert (
        generate_model(tmp_path, GeneratorSize()) == 1 + (1 + 8) + 20 + 10
    )  # ecosystem, a zone and its teams, stores, workspaces
    assert _digest(tmp_path) == DEFAULT_MODEL_SHA256


def test_candidates_keep_count_of_their_datasets() -> None:
    candidates = Candidates([("a", ["x", "y"]), ("b", ["z"])])
    candidates.append(("out_1", ["result"]))
    assert candidates.datasets == 4 and [name for name, _ in candidates] == ["a", "b", "out_1"]


def test_equal_columns_share_one_object_within_a_load_only(tmp_path: Path) -> None:
    from app.ecosystem.loader import load_directory

    generate_model(tmp_path, GeneratorSize(datastores=3, workspaces=1, transformers=0))
    first, second = load_directory(tmp_path), load_directory(tmp_path)
    assert first.errors == 0
    stores = [s for name, s in first.datastores.items() if name.startswith("store_")]
    ids = [s.body.datasets[0].columns[0] for s in stores]
    assert len(ids) == 3 and ids[0] == ids[1] and ids[0] is ids[1] is ids[2]
    other = second.datastores["store_00000"].body.datasets[0].columns[0]
    assert other == ids[0] and other is not ids[0]  # no table is kept from one load to the next
    assert ids[0].name == "id" and ids[0].primary_key
