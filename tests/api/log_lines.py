"""The JSON lines a real `ecoplane serve` wrote, and the WARNING/ERROR ones about one thing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def json_lines(log: Path) -> list[dict[str, Any]]:
    """Every JSON object line of the log (lines that are not JSON are left out)."""
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def told(log: Path, **ids: Any) -> list[dict[str, Any]]:
    """The WARNING and ERROR lines whose fields have these values (e.g. runId=7)."""
    return [
        line
        for line in json_lines(log)
        if line["level"] in ("warning", "error") and all(line.get(k) == v for k, v in ids.items())
    ]
