"""The image's lock file is in step with pyproject.toml, and the Dockerfile installs only from it.

`make lock` rewrites deploy/requirements.lock; these tests fail when pyproject.toml asks for a
package or version that the lock does not pin, or when a pin has no hash.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.dockerfile import instructions

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "deploy" / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
# the image: CPython 3.11 on Linux x86_64 (the markers of the universal lock are read for it)
IMAGE: dict[str, str] = {
    **{k: str(v) for k, v in default_environment().items()},
    "python_version": "3.11",
    "python_full_version": "3.11.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def pins(text: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Each locked package: its versions (one per marker branch) with their hashes."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    for entry in entries:
        match = PIN.match(entry)
        if match is None:
            continue
        name, version = canonicalize_name(match[1]), match[2]
        found.setdefault(name, []).append(
            (version, re.findall(r"--hash=sha256:[0-9a-f]{64}", entry))
        )
    return found


def required() -> list[Requirement]:
    """What the image needs: the runtime dependencies and the build backend."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    texts = project["project"]["dependencies"] + project["build-system"]["requires"]
    return [Requirement(text) for text in texts]


def unmet(
    requirements: list[Requirement], locked: dict[str, list[tuple[str, list[str]]]]
) -> list[str]:
    """Each requirement the lock does not satisfy, as a readable line."""
    problems = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate(IMAGE):
            continue
        versions = [v for v, _ in locked.get(canonicalize_name(requirement.name), [])]
        if not any(requirement.specifier.contains(v, prereleases=True) for v in versions):
            problems.append(f"{requirement} (locked: {', '.join(versions) or 'absent'})")
    return problems


LOCKED = pins(LOCK.read_text())


def test_every_dependency_of_pyproject_is_pinned_within_its_range() -> None:
    assert unmet(required(), LOCKED) == [], "run `make lock`"
    assert "fastapi" in LOCKED and "setuptools" in LOCKED


def test_every_pin_carries_its_hashes() -> None:
    assert len(LOCKED) > 30
    for name, versions in LOCKED.items():
        for version, hashes in versions:
            assert hashes, f"{name}=={version} has no --hash"


def test_a_dependency_added_to_pyproject_without_a_new_lock_is_caught() -> None:
    more = [*required(), Requirement("yaml-rs>=99"), Requirement("no-such-package>=1")]
    assert unmet(more, LOCKED) == [
        f"yaml-rs>=99 (locked: {LOCKED['yaml-rs'][0][0]})",
        "no-such-package>=1 (locked: absent)",
    ]


@pytest.mark.parametrize("text", ["fastapi==0.1 \\\n    --hash=sha256:" + "a" * 64])
def test_the_reader_finds_pins_and_hashes(text: str) -> None:
    assert pins(text) == {"fastapi": [("0.1", ["--hash=sha256:" + "a" * 64])]}


def test_the_image_installs_from_the_lock_with_hashes_required() -> None:
    runs = [
        i.arguments for i in instructions((ROOT / "Dockerfile").read_text()) if i.keyword == "RUN"
    ]
    locked = [r for r in runs if "requirements.lock" in r]
    assert locked and all("--require-hashes" in r and "--no-deps" in r for r in locked)
    project = [r for r in runs if re.search(r"pip install .*\s\.(\s|$)", r)]
    assert project and all("--no-deps" in r for r in project), "ecoplane itself adds no package"
