"""The datastores' list items made when a version is stored (the served column list_item)."""

from __future__ import annotations

import json

from app.api.schemas.datastores import DatastoreSummary
from app.catalog.rows import LIST_ITEM_KEYS, ROWS, _list_item
from app.ecosystem.loader import load_directory
from tests.conftest import EXAMPLES


def test_every_item_is_the_api_list_item_of_its_datastore() -> None:
    model = load_directory(EXAMPLES / "acme")
    items = {row[0]: json.loads(row[-1]) for row in ROWS["datastores"](model)}
    assert set(items) == set(model.datastores)
    for name, item in items.items():
        store = model.datastores[name]
        summary = DatastoreSummary.model_validate(item)  # camelCase keys, as the API answers
        assert summary.name == name and summary.zone == store.zone
        assert summary.datasets == len(store.body.datasets)
        assert summary.labels == store.labels
        assert set(item) == set(DatastoreSummary.model_json_schema(by_alias=True)["properties"])


def test_a_text_orjson_refuses_is_kept_as_it_is_for_the_store_to_refuse() -> None:
    row = tuple("x\ud800" if key == "description" else None for key in LIST_ITEM_KEYS)
    assert json.loads(_list_item(row, {}, 0))["description"] == "x\ud800"
