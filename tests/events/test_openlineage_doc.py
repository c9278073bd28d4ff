"""docs/openlineage.md shows a real event: the one `run_event` makes for acme, spec-valid.

Regenerate the example after a change of the events:
    ECOPLANE_UPDATE_EXAMPLES=1 .venv/bin/pytest tests/events/test_openlineage_doc.py
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.ecosystem.loader import load_directory
from app.events.lineage_datasets import WarehouseAddress
from app.events.openlineage import DEFAULT_NAMESPACE, PRODUCER, run_event
from tests.events.openlineage_spec import check_run_event

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "openlineage.md"
BLOCK = re.compile(r"(<!-- example: (\w+) (\w+) (\w+) -->\n```json\n)(.*?)(\n```)", re.DOTALL)
LINE = 100


def compact(value: Any, level: int = 0) -> str:
    """JSON as a reader wants it: indented, a small object of plain values on one line."""
    flat = json.dumps(value)
    if not isinstance(value, dict | list) or not value:
        return flat
    pad, inner = "  " * level, "  " * (level + 1)
    members = value.values() if isinstance(value, dict) else value
    if all(not isinstance(v, dict | list) for v in members) and len(pad) + len(flat) <= LINE:
        return flat
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {compact(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [inner + compact(v, level + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def example(event_type: str, kind: str, target: str) -> dict[str, Any]:
    """The event of run 42 of acme's `target`, at a fixed time, with the doc's warehouse."""
    return run_event(
        event_type,  # type: ignore[arg-type]
        run_id=42,
        kind=kind,  # type: ignore[arg-type]
        target=target,
        event_time=datetime(2026, 12, 2, 9, 30, 12, tzinfo=UTC),
        model=load_directory(ROOT / "examples" / "acme"),
        namespace=DEFAULT_NAMESPACE,
        producer=PRODUCER,
        warehouse=WarehouseAddress("postgres://warehouse.acme.internal:5432", "warehouse"),
        error="exit code 1: relation out_compute_exposures.var_results is empty"
        if event_type == "FAIL"
        else None,
    )


def test_the_examples_of_the_doc_are_the_events_sent() -> None:
    text = DOC.read_text()
    blocks = BLOCK.findall(text)
    assert blocks, "docs/openlineage.md shows no example event"
    if os.environ.get("ECOPLANE_UPDATE_EXAMPLES"):
        DOC.write_text(BLOCK.sub(lambda m: m[1] + compact(example(m[2], m[3], m[4])) + m[6], text))
        blocks = BLOCK.findall(DOC.read_text())
    for _, event_type, kind, target, shown, _ in blocks:
        made = example(event_type, kind, target)
        check_run_event(made)
        assert json.loads(shown) == made, f"regenerate the example of {kind}.{target}"


def test_the_compact_form_is_the_same_json() -> None:
    made = example("START", "ingestion", "Experiments")
    text = compact(made)
    assert json.loads(text) == made
    field = made["outputs"][0]["facets"]["schema"]["fields"][0]
    assert json.dumps(field) in {line.strip().rstrip(",") for line in text.splitlines()}
