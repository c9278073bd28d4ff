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


EMAIL = "        - {name: email, type: varchar(255)}\n"
SINK = "        - {datastore: Customers, dataset: customers}\n"


def without_email(consumer: str = "kept") -> dict[str, str | None]:
    """Files that remove the column Customers.customers.email, which CustomerAnalytics reads.

    `consumer`: "kept" (breaking), "adapted" (its sink now reads the other columns only) or
    "removed" (the workspace, and so its sink, goes in the same change).
    """
    changed: dict[str, str | None] = {
        "zones/usa/customers.yaml": BASE["zones/usa/customers.yaml"].replace(EMAIL, "")
    }
    if consumer == "adapted":
        adapted = SINK.replace("}", ", columns: [id, country, balance]}")
        changed["zones/usa/analytics.yaml"] = BASE["zones/usa/analytics.yaml"].replace(
            SINK, adapted
        )
    elif consumer == "removed":
        changed["zones/usa/analytics.yaml"] = None
    return changed


def changed_model(changed: dict[str, str | None]) -> Model:
    """BASE with files replaced (or, for None, removed): a model without errors."""
    texts: dict[str, str | bytes] = {**BASE}
    for name, text in changed.items():
        if text is None:
            texts.pop(name)
        else:
            texts[name] = text
    model = load_texts(texts)
    assert model.errors == 0, [p.as_line() for p in model.problems]
    return model
