"""The image: built in two stages, from a pinned base, run as a numeric non-root user, with
no secrets in it and a build context that keeps the venv, git and data directories out."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import ROOT
from tests.deploy.dockerfile import Instruction, build_args, ignored, instructions

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCKERIGNORE = (ROOT / ".dockerignore").read_text()
FOUND = instructions(DOCKERFILE)
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*@sha256:[0-9a-f]{64}$")


def _final(keyword: str, found: list[Instruction] = FOUND) -> list[Instruction]:
    last = max(i.stage for i in found)
    return [i for i in found if i.keyword == keyword and i.stage == last]


def _base_images(found: list[Instruction] = FOUND) -> list[str]:
    args = build_args(found)
    images = []
    for instruction in (i for i in found if i.keyword == "FROM"):
        image = instruction.arguments.split()[0]
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), image))
    return images


def test_every_stage_starts_from_a_base_pinned_by_version_and_digest() -> None:
    images = _base_images()
    assert len(images) == 2  # the builder and the final image
    assert all(PINNED.match(image) for image in images), images


@pytest.mark.parametrize(
    "base",
    [
        "python:3.11-slim",
        "python:latest",
        "python",
        "python:3.11.11-slim-bookworm",
        "python@sha256:" + "0" * 64,
    ],
)
def test_the_pin_check_refuses_a_floating_base(base: str) -> None:
    changed = DOCKERFILE.replace(build_args(FOUND)["PYTHON_IMAGE"], base)
    assert not all(PINNED.match(image) for image in _base_images(instructions(changed)))


def _runs_as_non_root(found: list[Instruction]) -> bool:
    users = _final("USER", found)
    return bool(users) and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1].arguments) is not None


def test_the_final_image_runs_as_a_numeric_non_root_user() -> None:
    assert _runs_as_non_root(FOUND)
    assert _final("USER")[-1].arguments == "10001:10001"  # the uid the manifests and Jobs use
    for user in ("root", "0", "0:0", "ecoplane"):
        assert not _runs_as_non_root(
            instructions(DOCKERFILE.replace("USER 10001:10001", f"USER {user}"))
        )


def test_the_final_image_carries_the_venv_but_no_build_tools() -> None:
    copies = [i.arguments for i in _final("COPY")]
    assert copies == ["--from=builder /opt/ecoplane /opt/ecoplane"]
    installed = " ".join(i.arguments for i in _final("RUN"))
    for tool in ("gcc", "build-essential", "make", "python3-dev", "curl", "wget"):
        assert not re.search(rf"\b{tool}\b", installed), tool
    assert re.search(
        r"\bgit\b", installed
    )  # a runtime need: the model repository is fetched with git


def test_it_serves_by_default_and_checks_its_health_without_curl() -> None:
    [command] = _final("CMD")
    assert command.arguments == '["ecoplane", "serve", "--host", "0.0.0.0", "--port", "8000"]'
    [health] = _final("HEALTHCHECK")
    assert "/healthz" in health.arguments and '"python"' in health.arguments
    labels = " ".join(i.arguments for i in _final("LABEL"))
    for key in ("title", "version", "revision", "source", "created"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_no_secret_is_baked_in() -> None:
    for instruction in FOUND:
        if instruction.keyword in ("ENV", "ARG", "LABEL"):
            assert not re.search(
                r"PASSWORD|SECRET|TOKEN|KEY|://[^ ]*:[^ ]*@", instruction.arguments, re.I
            ), instruction
    assert "ECOPLANE_DATABASE_URL=" not in DOCKERFILE


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        ".ecoplane/postgres/PG_VERSION",
        "app/.ecoplane/postgres/PG_VERSION",
        "app/__pycache__/main.cpython-311.pyc",
        "tests/conftest.py",
        "test-artifacts/report.xml",
        ".pytest_cache/v/cache/nodeids",
        "bench/.out/api.json",
        "deploy/overlays/aws/iam/security-sync-policy.json",
        ".env",
    ],
)
def test_the_build_context_leaves_out(path: str) -> None:
    assert ignored(DOCKERIGNORE, path)


def test_the_build_context_keeps_what_the_dockerfile_copies() -> None:
    sources = [
        source
        for i in FOUND
        if i.keyword == "COPY" and not i.arguments.startswith("--from")
        for source in i.arguments.split()[:-1]
    ]
    assert sources == ["deploy/requirements.lock", "pyproject.toml", "README.md", "app", "workers"]
    for source in sources:
        assert (ROOT / source).exists()
        assert not ignored(DOCKERIGNORE, source)
    assert not ignored(DOCKERIGNORE, "app/db/migrations/versions/0001_model_versions.py")


def test_the_ignore_rules_follow_docker() -> None:
    rules = "*\n!app/\napp/secret.txt\n**/*.log\n"
    assert ignored(rules, "README.md")
    assert not ignored(rules, "app/main.py")
    assert ignored(rules, "app/secret.txt")
    assert ignored(rules, "app/deep/x.log")
    assert not ignored(".venv\n", "app/venv.py")
