"""Kubernetes strategic merge patch, for the lists deploy/ patches (the renderer's helper).

Maps merge key by key; `null` removes a key. Lists named in MERGE_KEYS merge their items by
that key (as the Kubernetes types declare); any other list is replaced whole.
"""

from __future__ import annotations

import copy
from typing import Any

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


def merge(target: Any, patch: Any, key: str | None = None) -> Any:
    """`target` with `patch` merged in strategically (neither argument is changed)."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(target)
        for name, value in patch.items():
            if name == "$patch":
                continue
            if value is None:
                merged.pop(name, None)
            elif name in merged:
                merged[name] = merge(merged[name], value, name)
            else:
                merged[name] = copy.deepcopy(value)
        return merged
    if isinstance(target, list) and isinstance(patch, list) and key in MERGE_KEYS:
        return _merge_list(target, patch, MERGE_KEYS[key])
    return copy.deepcopy(patch)


def _merge_list(target: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    merged = copy.deepcopy(target)
    for item in patch:
        same = [i for i, old in enumerate(merged) if old.get(merge_key) == item.get(merge_key)]
        if not same:
            merged.append(copy.deepcopy(item))
        elif item.get("$patch") == "delete":
            del merged[same[0]]
        else:
            merged[same[0]] = merge(merged[same[0]], item)
    return merged
