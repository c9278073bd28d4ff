"""The rendered overlays, once per session (tests take copies before changing them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kustomize import Obj, render

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("local", "aws")


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Obj]]:
    """Each overlay's objects, as `kubectl kustomize deploy/overlays/<name>` prints them."""
    return {name: render(DEPLOY / "overlays" / name) for name in OVERLAYS}


def find(objects: list[Obj], kind: str, name: str) -> Obj:
    """The one object of that kind and name."""
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]
