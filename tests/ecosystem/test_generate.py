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
