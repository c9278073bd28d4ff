"""Model paths (`Workspace/W/datasetGroups/main/sinks/0`) from document pointers."""

from __future__ import annotations

from typing import Any

from app.ecosystem.problems import Pointer


def document_name(data: Any) -> str:
    """The name a document gives itself, or '?' when it has none."""
    if isinstance(data, dict):
        meta = data.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            return str(meta["name"])
    return "?"


def model_path(data: Any, pointer: Pointer) -> str:
    """The model path of a node: kind and name, then keys, with named list items by name."""
    kind = data.get("kind") if isinstance(data, dict) else None
    parts = [kind if isinstance(kind, str) else "?", document_name(data)]
    steps = list(pointer)
    if steps and steps[0] == "spec":
        steps, data = steps[1:], data.get("spec") if isinstance(data, dict) else None
    for step in steps:
        if isinstance(step, int) and isinstance(data, list) and 0 <= step < len(data):
            item = data[step]
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(name if isinstance(name, str) else str(step))
            data = item
        else:
            parts.append(str(step))
            data = data.get(step) if isinstance(data, dict) else None
    return "/".join(parts)
