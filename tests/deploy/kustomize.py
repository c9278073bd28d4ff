"""A Python renderer of the part of kustomize that deploy/ uses, for machines without kubectl.

Debian's kubectl (1.20) embeds a kustomize too old for `labels` and `patches`, and no other
kustomize installs from the registries this project uses; so the tests render with this, and
check it against `kubectl kustomize` wherever a recent kubectl is on the PATH.

Supported: `resources` (files and directories), `labels` (pairs, on metadata and optionally pod templates),
`images` (newName, newTag, digest) and `patches` (strategic merge, from a file, including
`$patch: delete`). Any other field raises `UnsupportedError`: never a silently different output.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.strategic_merge import merge

Obj = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "labels", "images", "patches"}
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class UnsupportedError(Exception):
    """The kustomization uses a feature this renderer does not implement."""


def render(directory: Path) -> list[Obj]:
    """The objects `kubectl kustomize <directory>` would print (in file order)."""
    kustomization = _read_kustomization(directory)
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += render(path) if path.is_dir() else _load(path)
    for patch in kustomization.get("patches", []):
        objects = _apply_patch(objects, directory, patch)
    for rule in kustomization.get("labels", []):
        _add_labels(objects, rule)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    return objects


def _read_kustomization(directory: Path) -> Obj:
    path = directory / "kustomization.yaml"
    document = yaml.safe_load(path.read_text())
    unknown = set(document) - SUPPORTED
    if unknown:
        raise UnsupportedError(f"{path}: {sorted(unknown)}")
    return dict(document)


def _load(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def identity(obj: Obj) -> tuple[str, str, str]:
    """(kind, namespace, name): what kustomize matches a patch by."""
    meta = obj.get("metadata", {})
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _apply_patch(objects: list[Obj], directory: Path, entry: Obj) -> list[Obj]:
    if set(entry) != {"path"}:
        raise UnsupportedError(f"patch {entry}: only `path:` patches are implemented")
    patches = _load(directory / entry["path"])
    if len(patches) != 1:
        raise UnsupportedError(f"{entry['path']}: kustomize takes one patch per file")
    patch = patches[0]
    target = identity(patch)
    matches = [i for i, obj in enumerate(objects) if identity(obj) == target]
    if len(matches) != 1:
        raise ValueError(f"patch {entry['path']} matches {len(matches)} objects, not one")
    index = matches[0]
    if patch.get("$patch") == "delete":
        return objects[:index] + objects[index + 1 :]
    objects[index] = merge(objects[index], patch)
    return objects


def _add_labels(objects: list[Obj], rule: Obj) -> None:
    if set(rule) - {"pairs", "includeSelectors", "includeTemplates"} or rule.get(
        "includeSelectors"
    ):
        raise UnsupportedError(f"labels {rule}: selectors are not implemented")
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("labels", {}).update(rule["pairs"])
        template = _pod_template(obj)
        if rule.get("includeTemplates") and template is not None:
            template.setdefault("metadata", {}).setdefault("labels", {}).update(rule["pairs"])


def _pod_template(obj: Obj) -> Obj | None:
    path = POD_TEMPLATE_PATHS.get(obj.get("kind", ""), ())[:-1]
    node: Any = obj
    for key in path:
        node = node.setdefault(key, {})
    return node if path else None


def pod_spec(obj: Obj) -> Obj | None:
    """The pod spec inside a workload, or None for other kinds."""
    path = POD_TEMPLATE_PATHS.get(obj.get("kind", ""))
    node: Any = obj
    for key in path or ():
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if path and isinstance(node, dict) else None


def containers(obj: Obj) -> list[Obj]:
    """Every container and init container of a workload."""
    spec = pod_spec(obj) or {}
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def _image_name(image: str) -> str:
    without_digest = image.split("@", 1)[0]
    slash = without_digest.rfind("/")
    colon = without_digest.rfind(":")
    return without_digest[:colon] if colon > slash else without_digest


def _set_image(objects: list[Obj], rule: Obj) -> None:
    if set(rule) - {"name", "newName", "newTag", "digest"}:
        raise UnsupportedError(f"images {rule}")
    for obj in objects:
        for container in containers(obj):
            if _image_name(container["image"]) != rule["name"]:
                continue
            image = str(container["image"])
            name = rule.get("newName", _image_name(image))
            if "digest" in rule:
                container["image"] = f"{name}@{rule['digest']}"
            elif "newTag" in rule:
                container["image"] = f"{name}:{rule['newTag']}"
            else:
                container["image"] = name + image[len(_image_name(image)) :]


def copy_of(objects: list[Obj]) -> list[Obj]:
    """A deep copy, for tests that break one property and expect a check to notice."""
    return copy.deepcopy(objects)
