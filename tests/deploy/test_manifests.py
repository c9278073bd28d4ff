"""Every overlay renders to objects valid for the stated Kubernetes versions, and hardened."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.deploy.conftest import OVERLAYS, find
from tests.deploy.hardening import container_problems, namespace_problems
from tests.deploy.kube_schema import K8S_VERSIONS, SchemaError, validate
from tests.deploy.kustomize import Obj, containers, copy_of, pod_spec


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_matches_the_official_schema(
    rendered: dict[str, list[Obj]], overlay: str, version: str
) -> None:
    objects = rendered[overlay]
    assert len(objects) > 15
    for obj in objects:
        validate(obj, version)


def test_the_schema_check_refuses_an_unknown_field(rendered: dict[str, list[Obj]]) -> None:
    deployment = copy_of([find(rendered["local"], "Deployment", "ecoplane-api")])[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(SchemaError, match="Deployment/ecoplane-api"):
        validate(deployment)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_bounded_non_root_and_pinned(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    assert container_problems(rendered[overlay]) == []
    workloads = [o for o in rendered[overlay] if pod_spec(o) is not None]
    assert {o["kind"] for o in workloads} >= {"Deployment", "Job"}


def _api_container(objects: list[Obj]) -> Obj:
    return containers(find(objects, "Deployment", "ecoplane-api"))[0]


def _limit_removed(container: Obj, pod_context: Obj) -> None:
    del container["resources"]["limits"]["memory"]


def _requests_removed(container: Obj, pod_context: Obj) -> None:
    del container["resources"]["requests"]


def _root_user(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["runAsUser"] = 0


def _user_unset(container: Obj, pod_context: Obj) -> None:
    del container["securityContext"]["runAsUser"], pod_context["runAsUser"]


def _non_root_unset(container: Obj, pod_context: Obj) -> None:
    del container["securityContext"]["runAsNonRoot"], pod_context["runAsNonRoot"]


def _writable_root(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["readOnlyRootFilesystem"] = False


def _escalation(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["allowPrivilegeEscalation"] = True


def _capabilities_kept(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["capabilities"]["drop"] = []


def _capability_added(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]


def _seccomp_unconfined(container: Obj, pod_context: Obj) -> None:
    container["securityContext"]["seccompProfile"] = {"type": "Unconfined"}


def _latest(container: Obj, pod_context: Obj) -> None:
    container["image"] = "ghcr.io/ecoplane/ecoplane:latest"


def _untagged(container: Obj, pod_context: Obj) -> None:
    container["image"] = "ghcr.io/ecoplane/ecoplane"


def _registry_port_untagged(container: Obj, pod_context: Obj) -> None:
    container["image"] = "registry.example:5000/ecoplane"


@pytest.mark.parametrize(
    ("breakage", "reported"),
    [
        (_limit_removed, "no limits.memory"),
        (_requests_removed, "no requests.cpu"),
        (_root_user, "runAsUser"),
        (_user_unset, "runAsUser"),
        (_non_root_unset, "runAsNonRoot"),
        (_writable_root, "writable"),
        (_escalation, "allowPrivilegeEscalation"),
        (_capabilities_kept, "capabilities"),
        (_capability_added, "capabilities"),
        (_seccomp_unconfined, "seccompProfile"),
        (_latest, "latest"),
        (_untagged, "no tag"),
        (_registry_port_untagged, "no tag"),
    ],
)
def test_the_container_check_catches_each_weakening(
    rendered: dict[str, list[Obj]], breakage: Callable[[Obj, Obj], None], reported: str
) -> None:
    objects = copy_of(rendered["aws"])
    deployment = find(objects, "Deployment", "ecoplane-api")
    breakage(_api_container(objects), deployment["spec"]["template"]["spec"]["securityContext"])
    problems = container_problems(objects)
    assert problems and all("ecoplane-api container api" in p for p in problems)
    assert any(reported in p for p in problems), problems


def test_a_digest_pins_an_image_without_a_tag(rendered: dict[str, list[Obj]]) -> None:
    objects = copy_of(rendered["aws"])
    _api_container(objects)["image"] = "ghcr.io/ecoplane/ecoplane@sha256:" + "a" * 64
    assert container_problems(objects) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lives_in_the_namespace(rendered: dict[str, list[Obj]], overlay: str) -> None:
    assert namespace_problems(rendered[overlay]) == []
    broken = copy_of(rendered[overlay])
    find(broken, "Role", "ecoplane-api")["metadata"]["namespace"] = "default"
    assert namespace_problems(broken) == ["Role/ecoplane-api: namespace 'default', not ecoplane"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_api_runs_two_replicas_probed_and_guarded(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    deployment = find(objects, "Deployment", "ecoplane-api")
    container = _api_container(objects)
    assert deployment["spec"]["replicas"] == 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/var/lib/ecoplane"} <= mounts  # the writable places of a read-only root
    budget = find(objects, "PodDisruptionBudget", "ecoplane-api")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert budget["spec"]["selector"]["matchLabels"] == selector
    assert find(objects, "Service", "ecoplane-api")["spec"]["selector"] == selector


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_jobs_run_the_image_the_api_runs(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    image = _api_container(objects)["image"]
    assert find(objects, "ConfigMap", "ecoplane-config")["data"]["ECOPLANE_JOBS_IMAGE"] == image
    migrate = containers(find(objects, "Job", "ecoplane-migrate"))[0]
    assert (migrate["image"], migrate["command"]) == (image, ["ecoplane", "db", "upgrade"])


SECRET_SETTINGS = {
    "ECOPLANE_DATABASE_URL",
    "ECOPLANE_WAREHOUSE_URL",
    "ECOPLANE_TOKENS",
    "ECOPLANE_GIT_TOKEN",
    "ECOPLANE_WEBHOOK_SECRET_GITHUB",
    "ECOPLANE_WEBHOOK_SECRET_GITLAB",
    "ECOPLANE_WEBHOOK_SECRET_GITEA",
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_reach_pods_only_by_reference(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    assert not [o for o in objects if o["kind"] == "Secret"]  # created by hand: docs/deploy.md
    for obj in objects:
        for container in containers(obj):
            for variable in container.get("env", []):
                secretish = variable["name"] in SECRET_SETTINGS or "PASSWORD" in variable["name"]
                assert not (secretish and "value" in variable), (obj["kind"], variable)
    data = find(objects, "ConfigMap", "ecoplane-config")["data"]
    assert not set(data) & SECRET_SETTINGS
    assert not [value for value in data.values() if re.search(r"://[^/@]*:[^/@]*@", value)]
