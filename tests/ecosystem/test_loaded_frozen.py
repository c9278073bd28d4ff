"""A command's model is frozen out of the cyclic collector's sight before any collection can
walk it (app/cli/model_commands.py `loaded`)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from app.cli.model_commands import loaded

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"


def test_a_loaded_model_is_frozen_with_no_collection_on_the_way() -> None:
    gc.unfreeze()  # whatever an earlier test left frozen
    collections: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        model = loaded(EXAMPLE)
    finally:
        gc.callbacks.remove(seen)
        frozen = gc.get_freeze_count()
        gc.unfreeze()
    assert model.errors == 0 and model.datastores
    assert collections == []  # the load's objects were never walked
    assert frozen > 1000 and gc.isenabled()
