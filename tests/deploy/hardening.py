"""Checks of rendered manifests: each returns the problems it finds (empty: all good).

Pure functions over the objects, so a test can break one property of a rendered copy and
see the check name it.
"""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.kustomize import Obj, containers, pod_spec

NAMESPACE = "ecoplane"
CLUSTER_SCOPED = {"Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
CLUSTER_WIDE_RBAC = {"ClusterRole", "ClusterRoleBinding"}
DANGEROUS_VERBS = {"*", "escalate", "bind", "impersonate"}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _name(obj: Obj, container: Obj | None = None) -> str:
    where = f"{obj['kind']}/{obj['metadata']['name']}"
    return f"{where} container {container['name']}" if container else where


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None: a digest, or a tag other than latest."""
    if DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image} has no tag"
    if last.rsplit(":", 1)[1] in ("latest", ""):
        return f"image {image} is not pinned (latest)"
    return None


def _resource_problems(where: str, container: Obj) -> list[str]:
    resources = container.get("resources", {})
    return [
        f"{where}: no {kind}.{resource}"
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if resource not in resources.get(kind, {})
    ]


def _security_problems(where: str, pod: Obj, container: Obj) -> list[str]:
    pod_context: dict[str, Any] = pod.get("securityContext", {})
    context: dict[str, Any] = {**pod_context, **container.get("securityContext", {})}
    problems = []
    if context.get("runAsNonRoot") is not True:
        problems.append(f"{where}: runAsNonRoot is not true")
    if not isinstance(context.get("runAsUser"), int) or context["runAsUser"] == 0:
        problems.append(f"{where}: runAsUser is not a numeric non-root uid")
    if context.get("privileged"):
        problems.append(f"{where}: privileged")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: root filesystem is writable")
    capabilities = context.get("capabilities", {})
    if "ALL" not in capabilities.get("drop", []) or capabilities.get("add"):
        problems.append(f"{where}: capabilities are not all dropped")
    if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: seccompProfile is not RuntimeDefault")
    return problems


def container_problems(objects: list[Obj]) -> list[str]:
    """Every container: requests and limits, the hardened security context, a pinned image."""
    problems: list[str] = []
    for obj in objects:
        pod = pod_spec(obj)
        if pod is None:
            continue
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(key):
                problems.append(f"{_name(obj)}: {key}")
        if any("hostPath" in volume for volume in pod.get("volumes", [])):
            problems.append(f"{_name(obj)}: hostPath volume")
        for container in containers(obj):
            where = _name(obj, container)
            problems += _resource_problems(where, container)
            problems += _security_problems(where, pod, container)
            reason = image_problem(str(container.get("image", "")))
            if reason:
                problems.append(f"{where}: {reason}")
    return problems


def rbac_problems(objects: list[Obj]) -> list[str]:
    """Nothing cluster-wide, no wildcard or escalating verbs, resources or API groups."""
    problems = [
        f"{_name(obj)}: cluster-wide" for obj in objects if obj["kind"] in CLUSTER_WIDE_RBAC
    ]
    for obj in objects:
        if obj["kind"] == "Role":
            problems += _rule_problems(obj)
        if obj["kind"] == "RoleBinding":
            problems += _binding_problems(obj)
    return problems


def _rule_problems(role: Obj) -> list[str]:
    problems = []
    for rule in role.get("rules", []):
        verbs = set(rule.get("verbs", []))
        if verbs & DANGEROUS_VERBS:
            problems.append(f"{_name(role)}: verbs {sorted(verbs & DANGEROUS_VERBS)}")
        for field in ("resources", "apiGroups", "resourceNames"):
            if any("*" in value for value in rule.get(field, [])):
                problems.append(f"{_name(role)}: wildcard in {field}")
        if "nonResourceURLs" in rule:
            problems.append(f"{_name(role)}: nonResourceURLs")
        if "secrets" in rule.get("resources", []) and verbs & {"list", "watch"}:
            problems.append(f"{_name(role)}: list/watch on secrets reads every Secret's value")
    return problems


def _binding_problems(binding: Obj) -> list[str]:
    problems = []
    if binding["roleRef"]["kind"] != "Role":
        problems.append(f"{_name(binding)}: binds a {binding['roleRef']['kind']}")
    for subject in binding.get("subjects", []):
        if subject.get("kind") != "ServiceAccount" or subject.get("namespace") != NAMESPACE:
            problems.append(f"{_name(binding)}: subject {subject} outside the namespace")
    return problems


def namespace_problems(objects: list[Obj]) -> list[str]:
    """Every namespaced object in the namespace; cluster-scoped ones carry none."""
    problems = []
    for obj in objects:
        namespace = obj["metadata"].get("namespace")
        if obj["kind"] in CLUSTER_SCOPED and namespace is not None:
            problems.append(f"{_name(obj)}: cluster-scoped, but names namespace {namespace}")
        if obj["kind"] not in CLUSTER_SCOPED and namespace != NAMESPACE:
            problems.append(f"{_name(obj)}: namespace {namespace!r}, not {NAMESPACE}")
    return problems


RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip


def restricted_problems(obj: Obj) -> list[str]:
    """What Pod Security Admission's "restricted" profile (the namespace enforces it) refuses."""
    pod = pod_spec(obj)
    if pod is None:
        return []
    problems = []
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUMES:
            problems.append(f"{_name(obj)}: volume type {sorted(kinds)}")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(f"{_name(obj)}: {key}")
    for container in containers(obj):
        where = _name(obj, container)
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{where}: capabilities not dropped")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{where}: capabilities added")
        if context.get("allowPrivilegeEscalation") is not False or context.get("privileged"):
            problems.append(f"{where}: may escalate privileges")
        if context.get("runAsNonRoot") is not True or context.get("runAsUser") == 0:
            problems.append(f"{where}: may run as root")
        if context.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: no seccomp profile")
    return problems
