"""Small valid models that differ from each other: one per number."""

from __future__ import annotations

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from tests.ecosystem.modeltext import BASE


def variant(n: int) -> Model:
    """A valid model whose content differs by n (a label)."""
    text = BASE["zones/usa/customers.yaml"].replace(
        "  team: FrontOffice\n", f"  team: FrontOffice\n  labels: {{v: '{n}'}}\n"
    )
    model = load_texts({**BASE, "zones/usa/customers.yaml": text})
    assert model.errors == 0
    return model
