"""docs/deploy.md: every kubectl line names objects, namespaces, labels, service accounts and
Secret keys that the manifests have, and it creates every Secret key the manifests and the
Jobs ecoplane starts at run time need."""

from __future__ import annotations

import re

import pytest

from app.ecosystem.builtins import EXPORT_TRANSFORMER, EXPORT_WORKSPACE
from app.jobs.spec import TransformerCode, security_sync_job, transformer_job
from app.settings import Settings
from tests.deploy.conftest import OVERLAYS, ROOT
from tests.deploy.guide import Command, Section, created_secrets, kubectl_commands, sections
from tests.deploy.hardening import NAMESPACE
from tests.deploy.kustomize import Obj, containers, pod_spec

GUIDE = (ROOT / "docs" / "deploy.md").read_text()
KINDS = {
    "deployment": "Deployment", "job": "Job", "service": "Service", "statefulset": "StatefulSet",
    "serviceaccount": "ServiceAccount", "configmap": "ConfigMap", "secret": "Secret",
    "networkpolicy": "NetworkPolicy", "role": "Role", "rolebinding": "RoleBinding",
}  # fmt: skip
# the labels the Kubernetes runner puts on the Jobs and pods of every run (OPERATIONS.md)
RUN_LABELS = {
    "app.kubernetes.io/managed-by",
    "ecoplane.io/kind",
    "ecoplane.io/target",
    "ecoplane.io/run-id",
}
NOT_NAMESPACED = {"apply", "kustomize", "version", "config", "cluster-info"}


def _secret_refs(objects: list[Obj]) -> dict[tuple[str, str], bool]:
    """(secret, key) → optional, for every secretKeyRef of every container."""
    refs: dict[tuple[str, str], bool] = {}
    for obj in objects:
        for container in containers(obj):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs[(ref["name"], ref["key"])] = bool(ref.get("optional"))
    return refs


def _run_time_refs() -> dict[tuple[str, str], bool]:
    """(secret, key) of the Jobs the runner creates, except the credentials the sync writes."""
    settings = Settings(database_url="postgresql://unused")
    export = TransformerCode(
        name=EXPORT_TRANSFORMER, workspace=EXPORT_WORKSPACE, code_kind="builtin",
        builtin_code="externalize-model",
    )  # fmt: skip
    specs = [security_sync_job(1, settings), transformer_job(export, 1, settings)]
    return {
        (ref.secret, ref.key): False
        for spec in specs
        for ref in spec.secret_env.values()
        if not ref.secret.startswith("ecoplane-dt-")
    }


def _objects_for(section: Section, rendered: dict[str, list[Obj]]) -> list[Obj]:
    overlay = section.overlay()
    return rendered[overlay] if overlay else [o for name in OVERLAYS for o in rendered[name]]


def _named(objects: list[Obj]) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


def _labels(objects: list[Obj]) -> set[tuple[str, str]]:
    found = set()
    for obj in objects:
        found |= set(obj["metadata"].get("labels", {}).items())
        if pod_spec(obj) is not None:
            template = obj["spec"].get("template", {}).get("metadata", {})
            found |= set(template.get("labels", {}).items())
    return found


def _problems(command: Command, objects: list[Obj], secrets: set[tuple[str, str]]) -> list[str]:
    problems = []
    if command.namespace not in (None, NAMESPACE) and command.words[:2] != ["auth", "can-i"]:
        problems.append(f"namespace {command.namespace}")
    if command.namespace is None and command.words[0] not in NOT_NAMESPACED:
        problems.append("no -n")
    names = _named(objects) | {("Secret", name) for name, _ in secrets}
    for word in command.words:
        kind, _, name = word.partition("/")
        if kind in KINDS and name and (KINDS[kind], name) not in names:
            problems.append(f"{word} is not in the manifests")
    labels = _labels(objects)
    for key, value in command.labels.items():
        if (key, value) not in labels and key not in RUN_LABELS:
            problems.append(f"label {key}={value} is on no object")
    account = command.option("as")
    if account:
        prefix, _, name = account.rpartition(":")
        if prefix != f"system:serviceaccount:{NAMESPACE}" or ("ServiceAccount", name) not in names:
            problems.append(f"{account} is no service account of the manifests")
    if (
        command.words[:2] == ["apply", "-k"]
        and not (ROOT / command.words[2] / "kustomization.yaml").exists()
    ):
        problems.append(f"{command.words[2]} has no kustomization")
    if (
        command.words[:2] == ["apply", "-f"]
        and command.words[2] != "-"
        and not (ROOT / command.words[2]).exists()
    ):
        problems.append(f"{command.words[2]} does not exist")
    return problems


def test_the_guide_installs_local_then_aws_and_upgrades_aws() -> None:
    found = sections(GUIDE)
    assert [s.overlay() for s in found if s.overlay()] == ["local", "aws", "aws"]
    assert len(kubectl_commands(GUIDE)) > 40  # the blocks and the troubleshooting table


def test_every_kubectl_line_names_what_the_manifests_have(rendered: dict[str, list[Obj]]) -> None:
    everywhere = created_secrets(kubectl_commands(GUIDE))
    problems = []
    for section in sections(GUIDE):
        objects = _objects_for(section, rendered)
        for command in section.commands:
            problems += [
                f"{section.title}: kubectl {' '.join(command.words)}: {p}"
                for p in _problems(command, objects, everywhere)
            ]
    assert problems == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_guide_creates_every_secret_key_the_overlay_needs(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    created: set[tuple[str, str]] = set()
    for section in sections(GUIDE):
        if section.overlay() in (overlay, None):
            created |= created_secrets(section.commands)
    refs = {**_run_time_refs(), **_secret_refs(rendered[overlay])}
    assert (
        sorted(ref for ref, optional in refs.items() if not optional and ref not in created) == []
    )
    assert sorted(created - set(refs)) == []  # and no key that nothing reads


def test_the_check_notices_a_renamed_object(rendered: dict[str, list[Obj]]) -> None:
    text = GUIDE.replace("job/ecoplane-migrate", "job/ecoplane-migration")
    section = Section("x", kubectl_commands(text))
    problems = [p for c in section.commands for p in _problems(c, rendered["local"], set())]
    assert any("job/ecoplane-migration is not in the manifests" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("kubectl -n ecoplane rollout status", "kubectl -n eco rollout status", "namespace eco"),
        (
            "kubectl -n ecoplane get pods -l app.kubernetes.io/part-of=ecoplane",
            "kubectl -n ecoplane get pods -l app=ecoplane",
            "label app=ecoplane",
        ),
        (":ecoplane:ecoplane-transformer", ":ecoplane:ecoplane-transformers", "no service account"),
        (
            "kubectl apply -k deploy/overlays/local",
            "kubectl apply -k deploy/overlays/kind",
            "no kustomization",
        ),
        ("kubectl -n ecoplane logs job", "kubectl logs job", "no -n"),
    ],
)
def test_the_check_notices_a_wrong_line(
    rendered: dict[str, list[Obj]], old: str, new: str, reported: str
) -> None:
    assert old in GUIDE
    commands = kubectl_commands(GUIDE.replace(old, new, 1))
    everywhere = created_secrets(commands)
    objects = [o for name in OVERLAYS for o in rendered[name]]
    problems = [p for c in commands for p in _problems(c, objects, everywhere)]
    assert any(reported in p for p in problems), problems


def test_the_check_notices_a_wrong_secret_key(rendered: dict[str, list[Obj]]) -> None:
    text = GUIDE.replace("--from-literal=warehouse-url=", "--from-literal=warehouse_url=")
    created = created_secrets(kubectl_commands(text))
    refs = _secret_refs(rendered["aws"])
    assert ("ecoplane-admin", "warehouse-url") not in created
    assert ("ecoplane-admin", "warehouse_url") not in refs
    assert re.search(r"kubectl", text)
