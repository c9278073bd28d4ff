"""Physical names, as data (their quoting: tests/security/warehouses/test_postgres_sql.py)."""

from __future__ import annotations

from app.security import names


def test_long_names_keep_a_prefix_and_a_stable_hash() -> None:
    long = "A" * 40 + "__" + "b" * 40
    name = names.physical(long)
    assert len(name.encode()) == 63
    assert name.startswith("a" * 40) and name[-9] == "_"
    assert names.physical(long) == name
    assert names.physical(long + "x") != name
    assert names.physical("Customers__Customers") == "customers__customers"


def test_role_and_schema_names() -> None:
    assert names.transformer_role("MaskCustomers") == "dt_maskcustomers"
    assert names.transformer_role("x", "t1_") == "t1_dt_x"
    assert names.read_role("Sales") == "ws_sales_read"
    assert names.output_schema("Mask") == "out_mask"
    assert names.workspace_schema("W" * 63).startswith("ws_www")
